import { readFileSync } from 'node:fs';
import { PROTOCOL_VERSION } from '@aviso/protocol/constants';

/** This CLI's release, from its package.json (one level above src/ and dist/ alike). */
export const CLI_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `aviso --version`: the release and the wire protocol it speaks (what a relay must match). */
export function versionLine(): string {
  return `aviso ${CLI_VERSION} (protocol ${PROTOCOL_VERSION})`;
}
