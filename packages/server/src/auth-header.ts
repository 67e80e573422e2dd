import { parseBasicCredentials, ProtocolError, WS_AUTH_SUBPROTOCOL_PREFIX } from '@aviso/protocol';

/** Decodes `Authorization: Basic …` into device credentials; undefined when absent or malformed. */
export function credentialsFromHeader(
  header: string | undefined,
): { accountId: string; deviceId: number; password: string } | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (match?.[1] === undefined) return undefined;
  return parseBasicCredentials(Buffer.from(match[1], 'base64').toString('utf8'));
}

type DeviceCredentials = { accountId: string; deviceId: number; password: string };

/**
 * The credentials of a WebSocket upgrade: the `Authorization` header, or a `Sec-WebSocket-Protocol`
 * entry `aviso.auth.<unpadded base64url>` next to `aviso.v2` (browsers cannot set headers on a
 * WebSocket, and a URL would end up in proxy logs). Throws UNAUTHORIZED for missing or malformed
 * credentials, as the header path always did, and BAD_REQUEST for both ways at once or two entries.
 */
export function upgradeCredentials(offered: readonly string[], authorization: string | undefined): DeviceCredentials {
  const entries = offered.filter((p) => p.startsWith(WS_AUTH_SUBPROTOCOL_PREFIX));
  if (entries.length > 1) throw new ProtocolError('BAD_REQUEST', 'offer credentials in one subprotocol entry');
  if (entries.length === 1 && authorization !== undefined) throw new ProtocolError('BAD_REQUEST', 'send credentials in the Authorization header or a subprotocol entry, not both');
  const creds = entries[0] === undefined ? credentialsFromHeader(authorization) : credentialsFromEntry(entries[0].slice(WS_AUTH_SUBPROTOCOL_PREFIX.length));
  if (creds === undefined) throw new ProtocolError('UNAUTHORIZED', 'missing or malformed credentials');
  return creds;
}

function credentialsFromEntry(encoded: string): DeviceCredentials | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  return parseBasicCredentials(Buffer.from(encoded, 'base64url').toString('utf8'));
}
