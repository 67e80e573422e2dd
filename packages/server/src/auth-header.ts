import { parseBasicCredentials } from '@aviso/protocol';

/** Decodes `Authorization: Basic …` into device credentials; undefined when absent or malformed. */
export function credentialsFromHeader(
  header: string | undefined,
): { accountId: string; deviceId: number; password: string } | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (match?.[1] === undefined) return undefined;
  return parseBasicCredentials(Buffer.from(match[1], 'base64').toString('utf8'));
}
