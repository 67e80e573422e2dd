import { readFileSync, writeFileSync } from 'node:fs';
import { encodeContent, pad } from '@aviso/protocol';
const p = 'packages/protocol/vectors/content.json';
const file = JSON.parse(readFileSync(p, 'utf8'));
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const scoped = { groupId: 'ab'.repeat(32), groupVersion: 3, groupHeadHash: Buffer.alloc(32, 7).toString('base64') };
const alert = (kind: string) => ({ v: 1, sentAt: 1795000000000, body: { type: 'alert', ...scoped, id: '0b8f7e4c-3f7a-4d1e-9c55-2a61f0d3b7a1', kind, severity: 'urgent', title: 'road closed at 5th', observedAt: 1795000000000, expiresAt: 1795014400000, requestAck: true } });
const direct = { v: 1, sentAt: 1795000000000, body: { type: 'direct', text: 'agents staging at the car wash on 5th' } };
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const add = [
  { comment: 'a direct message as encodeContent pads it: the 1 KiB bucket (CONTENT_BUCKETS); a sender must produce exactly these bytes', padded: b64(encodeContent(direct as never)), valid: true, decoded: direct, encoded: true, tags: ['direct', 'padding', 'sender'] },
  { comment: 'padding of any length is valid: the JSON and the 0x80 marker with no zeros after it', padded: b64(pad(enc(direct), enc(direct).length + 1)), valid: true, decoded: direct, tags: ['direct', 'padding'] },
  { comment: 'padding of any length is valid: 1000 bytes, a multiple of neither 256 nor 1024', padded: b64(pad(enc(direct), 1000)), valid: true, decoded: direct, tags: ['direct', 'padding'] },
  { comment: 'padding of any length is valid: a short message in the 2 KiB bucket, larger than the one encodeContent picks for it', padded: b64(pad(enc(direct), 2048)), valid: true, decoded: direct, tags: ['direct', 'padding'] },
  { comment: 'an alert of a known kind, as encodeContent pads it', padded: b64(encodeContent(alert('checkpoint') as never)), valid: true, decoded: alert('checkpoint'), encoded: true, tags: ['alert', 'alert-kind', 'sender'] },
  { comment: 'an alert of a kind this build does not know (a newer build added "flood"): kept, read as other, the name in unknownKind', padded: b64(pad(enc(alert('flood')), 1024)), valid: true, decoded: { ...alert('other'), body: { ...alert('other').body, unknownKind: 'flood' } }, tags: ['alert', 'alert-kind', 'forward-compatible'] },
  { comment: 'an alert kind longer than ALERT_LIMITS.kindChars (64) is refused', padded: b64(pad(enc(alert('x'.repeat(65))), 1024)), valid: false, errorCode: 'MALFORMED_FRAME', tags: ['alert', 'alert-kind'] },
  { comment: 'an empty alert kind is refused', padded: b64(pad(enc(alert('')), 1024)), valid: false, errorCode: 'MALFORMED_FRAME', tags: ['alert', 'alert-kind'] },
];
file.vectors = file.vectors.filter((v: { comment: string }) => !add.some((a) => a.comment === v.comment)).concat(add);
writeFileSync(p, JSON.stringify(file, null, 1) + '\n');
