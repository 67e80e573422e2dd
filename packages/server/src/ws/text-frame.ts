/**
 * The RFC 6455 header of an unmasked, final text frame with a payload of `length` bytes (what a
 * server sends), written at the start of `target`; returns the header's length (2, 4 or 10 bytes).
 * With it a connection sends a group send's envelope as two buffers in one writev: its own header and
 * head, then the part every member shares, instead of copying ~2 KiB into a new frame per member.
 */
export function writeTextFrameHeader(target: Buffer, length: number): number {
  target[0] = 0x81; // FIN, opcode 1 (text)
  if (length < 126) {
    target[1] = length;
    return 2;
  }
  if (length < 0x10000) {
    target[1] = 126;
    target.writeUInt16BE(length, 2);
    return 4;
  }
  target[1] = 127;
  target.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
  target.writeUInt32BE(length >>> 0, 6);
  return 10;
}

/** How long `writeTextFrameHeader`'s header is for a payload of `length` bytes. */
export function textFrameHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}
