import { readFileSync } from 'node:fs';

/**
 * This relay's release, from its package.json (one level above src/ and dist/ alike): what
 * `aviso-relay --version` prints and `GET /v1/relay` reports as `relayVersion`. Read once, with no
 * import beyond node:fs, so `--version` loads nothing else.
 */
export const RELAY_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
