// The protocol package targets any JavaScript runtime and loads no platform typings; these two
// WHATWG encoding classes exist in Node, browsers and workers alike.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
// The vector loader (src/testing) names files relative to its own module; both are in every runtime.
declare class URL {
  constructor(url: string, base?: string | URL);
  readonly href: string;
}
interface ImportMeta {
  readonly url: string;
}
