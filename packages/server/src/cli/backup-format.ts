import { z } from 'zod';

/**
 * The single-file relay backup (docs/operating.md "Backups"):
 *
 *   line 1   `AVISO-RELAY-BACKUP 1`
 *   line 2   one line of JSON, the header below (it holds the relay's PRIVATE keys, from relay-keys.json)
 *   rest     the SQLite database, byte for byte: `header.database.bytes` bytes with SHA-256 `header.database.sha256`
 *
 * Plain on purpose: `tail -n +3 FILE > aviso.sqlite` recovers the database with standard tools.
 */
export const BACKUP_MAGIC = 'AVISO-RELAY-BACKUP 1\n';
export const BACKUP_FORMAT_VERSION = 1;
/** The header is a few KiB; anything past this is not ours. */
export const MAX_HEADER_BYTES = 1024 * 1024;

export const BackupHeader = z.object({
  format: z.literal('aviso-relay-backup'),
  version: z.literal(BACKUP_FORMAT_VERSION),
  createdAt: z.iso.datetime(),
  protocolVersion: z.int().min(1),
  /** SHA-256 of the trust-root public key, base64url: what members pin (see `aviso-relay info`). */
  trustRootSha256: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  /** The content of relay-keys.json (private keys). */
  relayKeys: z.record(z.string(), z.unknown()),
  database: z.object({
    bytes: z.int().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
});
export type BackupHeader = z.infer<typeof BackupHeader>;

export function encodeBackupHeader(header: BackupHeader): Buffer {
  return Buffer.from(`${BACKUP_MAGIC}${JSON.stringify(header)}\n`, 'utf8');
}

/**
 * Parses the start of a backup file. Returns the header and where the database bytes begin, or a
 * reason it is not a readable backup.
 */
export function decodeBackupHeader(start: Buffer): { header: BackupHeader; offset: number } | { problem: 'not-a-backup' | 'unreadable-header' | 'newer-format' } {
  const magic = Buffer.from(BACKUP_MAGIC, 'utf8');
  if (start.length < magic.length || !start.subarray(0, magic.length).equals(magic)) {
    return /^AVISO-RELAY-BACKUP \d+\n/.test(start.subarray(0, 32).toString('latin1')) ? { problem: 'newer-format' } : { problem: 'not-a-backup' };
  }
  const end = start.indexOf(0x0a, magic.length);
  if (end < 0) return { problem: 'unreadable-header' };
  let json: unknown;
  try {
    json = JSON.parse(start.subarray(magic.length, end).toString('utf8'));
  } catch {
    return { problem: 'unreadable-header' };
  }
  const parsed = BackupHeader.safeParse(json);
  if (!parsed.success) return { problem: 'unreadable-header' };
  return { header: parsed.data, offset: end + 1 };
}
