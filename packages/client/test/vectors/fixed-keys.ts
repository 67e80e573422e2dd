/**
 * The fixed group master key of invite-code.json and group-blobs.json, so that one relay test can
 * create that group with the vector blob as its attributes and serve the vector invite's join info.
 */
export const VECTOR_MASTER_KEY = new Uint8Array(32).map((_, i) => (0xfb + i * 0x35) & 0xff);
