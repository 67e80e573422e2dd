import type { Envelope } from './api/messages.js';
import { MESSAGE_DELIVER } from './frames.js';

/**
 * The `message.deliver` frame written by hand: the relay sends one per member per alert, and
 * `JSON.stringify` of a fresh object per member is what that would cost. The text is exactly what
 * `encodeFrame` writes for the same frame (key order included), which protocol's tests check; this
 * file is the only place that spells the frame out.
 *
 * Nothing is escaped, so the caller vouches for the values: `guid` is a UUID (hex digits and
 * dashes), `content` base64, `id` and `serverTimestamp` integers. The relay makes all four itself.
 */
export function deliverFrameHead(id: number, guid: string, serverTimestamp: number): string {
  return `{"type":"${MESSAGE_DELIVER}","id":${id},"envelope":{"guid":"${guid}","serverTimestamp":${serverTimestamp},"content":"`;
}

/**
 * What follows the content: a sender that writes the content in pieces (a group send's shared part
 * is one buffer for every member) appends this to the last piece.
 */
export const DELIVER_FRAME_END = '"}}';

/** The whole frame as one string: `deliverFrameHead` ‖ content ‖ `DELIVER_FRAME_END`. */
export function encodeDeliverFrame(id: number, envelope: Envelope): string {
  return deliverFrameHead(id, envelope.guid, envelope.serverTimestamp) + envelope.content + DELIVER_FRAME_END;
}
