/** Base64 and byte helpers; libsignal wants `Uint8Array<ArrayBuffer>`, so copies are explicit. */
export const toBase64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
export const fromBase64 = (s: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(s, 'base64'));
export const copyBytes = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);
export const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');
