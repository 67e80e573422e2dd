import { LIVE_ENVELOPE_MAX_MS, loadConfig } from '@aviso/server';
import { TABLES } from './catalog.js';
import { isDayNumber, isEpochMs, isEpochSeconds, readFolder, resolution, type Cell, type FolderInventory, type Row } from './inventory.js';

/**
 * `fail`: the relay holds something it must not (plaintext, an IP, an account next to a group, a
 * sender on an envelope, a precise last-seen, or storage nobody has classified). `warn`: metadata
 * worth knowing that is not in the fail list; each is named in the report, none is hidden.
 */
export type Severity = 'fail' | 'warn';

export interface Finding {
  severity: Severity;
  check: string;
  where: string;
  detail: string;
}

export interface Identity {
  name: string;
  accountId: string;
  identityKey: Uint8Array;
}

export interface SeizedImage {
  label: string;
  inventory: FolderInventory;
  /** When the disk was seized (ms); by default when it was inventoried. */
  seizedAt?: number;
  /**
   * Since when the relay had nothing in flight (no send unsettled, no acknowledgement pending), if
   * known: then every deleted row older than the WAL bound must be gone from the WAL.
   */
  quietSince?: number;
}

export interface CheckInput {
  /** Disk images to scan byte by byte, e.g. after SIGKILL (with the WAL) and after SIGTERM. */
  images: SeizedImage[];
  log: string;
  secrets: Array<{ label: string; value: string }>;
  accounts: Identity[];
  groupIds: string[];
  /** Lines the relay prints about its own bind address (configuration, not a client's address). */
  allowedLogLines?: RegExp[];
}

const CHECKS = {
  plaintext: 'plaintext from the scenario',
  ip: 'IP address',
  groupAccount: 'account identifier in a group table',
  link: 'row linking an account to a group',
  sender: 'sender identifier on a stored envelope',
  lastSeen: 'precise time on an account or device',
  precision: 'time finer than documented',
  preciseTime: 'precise timestamp',
  recipients: 'recipients of one group send linked',
  undocumented: 'storage nobody classified',
  logAccount: 'account id in the relay log',
  freePages: 'residue in free pages',
  walRecipients: 'group send recipients in the WAL',
  walEnvelopes: 'deleted envelopes in the WAL',
} as const;
export const CHECK_NAMES = CHECKS;

/** The encodings under which a string is searched for in raw bytes. */
export function plaintextNeedles(value: string): Array<{ encoding: string; bytes: Buffer }> {
  const utf8 = Buffer.from(value, 'utf8');
  const needles: Array<{ encoding: string; bytes: Buffer }> = [
    { encoding: 'UTF-8', bytes: utf8 },
    { encoding: 'UTF-16LE', bytes: Buffer.from(value, 'utf16le') },
    { encoding: 'UTF-16BE', bytes: Buffer.from(value, 'utf16le').swap16() },
    { encoding: 'hex of UTF-8', bytes: Buffer.from(utf8.toString('hex')) },
  ];
  const escaped = value.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (escaped !== value) needles.push({ encoding: 'JSON \\u-escaped', bytes: Buffer.from(escaped) });
  const uri = encodeURIComponent(value);
  if (uri !== value) needles.push({ encoding: 'URL-encoded', bytes: Buffer.from(uri) });
  for (const [encoding, b64] of base64Needles(utf8)) needles.push({ encoding, bytes: Buffer.from(b64) });
  // A truncated copy (a prefix or suffix stored on its own) still gives the text away.
  if (value.length > 24) {
    needles.push({ encoding: 'UTF-8 (first 20 characters)', bytes: Buffer.from(value.slice(0, 20)) });
    needles.push({ encoding: 'UTF-8 (last 20 characters)', bytes: Buffer.from(value.slice(-20)) });
  }
  return needles;
}

/**
 * Base64 of `bytes` as it appears inside a longer base64 text, in each of the three alignments: only
 * the characters fully determined by `bytes` are kept, so the needle matches whatever surrounds it.
 */
export function base64Needles(bytes: Uint8Array): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const k of [0, 1, 2]) {
    const full = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64').replace(/=+$/, '');
    const start = Math.ceil((4 * k) / 3);
    const end = Math.floor((8 * (k + bytes.length)) / 6);
    const core = full.slice(start, end);
    if (core.length < 8) continue;
    out.push([`base64 (offset ${k})`, core], [`base64url (offset ${k})`, core.replace(/\+/g, '-').replace(/\//g, '_')]);
  }
  return out;
}

/** The forms in which an account could be named: id (text, hex, raw, base64) and identity key (raw, base64). */
export function accountNeedles(a: Identity): Array<{ encoding: string; bytes: Buffer }> {
  const raw = Buffer.from(a.accountId.replace(/-/g, ''), 'hex');
  const key = Buffer.from(a.identityKey);
  return [
    { encoding: 'account id', bytes: Buffer.from(a.accountId) },
    { encoding: 'account id (upper case)', bytes: Buffer.from(a.accountId.toUpperCase()) },
    { encoding: 'account id hex', bytes: Buffer.from(raw.toString('hex')) },
    { encoding: 'account id bytes', bytes: raw },
    ...base64Needles(raw).map(([e, s]) => ({ encoding: `account id ${e}`, bytes: Buffer.from(s) })),
    { encoding: 'identity key bytes', bytes: key },
    { encoding: 'identity key bytes (without type byte)', bytes: key.subarray(1) },
    ...base64Needles(key.subarray(1)).map(([e, s]) => ({ encoding: `identity key ${e}`, bytes: Buffer.from(s) })),
  ];
}

function groupNeedles(groupId: string): Array<{ encoding: string; bytes: Buffer }> {
  const raw = Buffer.from(groupId, 'hex');
  return [
    { encoding: 'group id', bytes: Buffer.from(groupId) },
    { encoding: 'group id bytes', bytes: raw },
    ...base64Needles(raw).map(([e, s]) => ({ encoding: `group id ${e}`, bytes: Buffer.from(s) })),
  ];
}

const cellBytes = (v: Cell): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v === null ? '' : String(v)));

/** Finds the first needle present in `haystack`. */
function firstHit(haystack: Buffer, needles: Array<{ encoding: string; bytes: Buffer }>): string | undefined {
  return needles.find((n) => n.bytes.length > 0 && haystack.includes(n.bytes))?.encoding;
}

const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])/;
const IPV6 = /(?:^|[^0-9a-f:])(?:::1|::ffff:[0-9a-f.:]+|(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|fe80::[0-9a-f:]+)(?![0-9a-f:])/i;

/** Printable ASCII runs of at least `min` characters (what `strings` shows), and UTF-16LE ones. */
export function printableRuns(bytes: Buffer, min = 7): string[] {
  const runs: string[] = [];
  let start = -1;
  for (let i = 0; i <= bytes.length; i++) {
    const b = i < bytes.length ? bytes[i]! : 0;
    const printable = b >= 0x20 && b <= 0x7e;
    if (printable && start < 0) start = i;
    if (!printable && start >= 0) {
      if (i - start >= min) runs.push(bytes.toString('latin1', start, i));
      start = -1;
    }
  }
  // UTF-16LE text: printable byte, zero byte, repeated.
  let text = '';
  for (let i = 0; i + 1 < bytes.length; i += 1) {
    const b = bytes[i]!;
    if (b >= 0x20 && b <= 0x7e && bytes[i + 1] === 0) {
      text += String.fromCharCode(b);
      i += 1;
      continue;
    }
    if (text.length >= min) runs.push(text);
    text = '';
  }
  if (text.length >= min) runs.push(text);
  return runs;
}

export function findIp(text: string): string | undefined {
  return IPV4.exec(text)?.[0] ?? IPV6.exec(text)?.[0]?.replace(/^[^0-9a-f:]/i, '');
}

const isGroupTable = (name: string, row: Row | undefined) => name.startsWith('group') || (row !== undefined && 'group_id' in row);

/** Runs every check over the disk images and the log. */
export function checkSeizure(input: CheckInput): Finding[] {
  const findings: Finding[] = [];
  const add = (severity: Severity, check: keyof typeof CHECKS, where: string, detail: string) => {
    if (!findings.some((f) => f.check === CHECKS[check] && f.where === where && f.detail === detail)) findings.push({ severity, check: CHECKS[check], where, detail });
  };
  const secrets = input.secrets.map((s) => ({ ...s, needles: plaintextNeedles(s.value) }));
  const accounts = input.accounts.map((a) => ({ ...a, needles: accountNeedles(a) }));
  const groups = input.groupIds.map((g) => ({ id: g, needles: groupNeedles(g) }));

  for (const image of input.images) {
    const { label, inventory } = image;
    // 1. Raw bytes of every file: plaintext (every encoding) and IP addresses, free pages and WAL included.
    for (const file of readFolder(inventory.dir)) {
      const where = `${label}: ${file.name}`;
      const lower = Buffer.from(file.bytes.toString('latin1').toLowerCase(), 'latin1');
      for (const s of secrets) {
        const hit = firstHit(file.bytes, s.needles) ?? (firstHit(lower, [{ encoding: 'UTF-8, any case', bytes: Buffer.from(s.value.toLowerCase()) }]));
        if (hit) add('fail', 'plaintext', where, `${s.label} "${s.value}" (${hit})`);
      }
      for (const run of printableRuns(file.bytes)) {
        const ip = findIp(run);
        if (ip) add('fail', 'ip', where, `"${ip}" in "${run.slice(0, 80)}"`);
      }
    }
    if (inventory.db && inventory.db.freePageNonZeroBytes > 0) {
      add('fail', 'freePages', `${label}: ${'aviso.sqlite'}`, `${inventory.db.freePageNonZeroBytes} non-zero bytes in free pages (secure_delete should zero them)`);
    }
    // 1b. The WAL frame by frame, stale frames included: deleted rows must not outlive the bound.
    checkWal(image, accounts, add);
    // 2. Table by table, row by row.
    for (const table of inventory.db?.tables ?? []) checkTable(table.name, table.data, label, accounts, groups, add);
    // 3. Storage nobody has classified: a new file, table or column must be added to the catalog first.
    for (const f of inventory.files) if (!f.documented) add('fail', 'undocumented', `${label}: ${f.name}`, 'file not in tests/seizure/catalog.ts');
    for (const table of inventory.db?.tables ?? []) {
      if (!table.doc) add('fail', 'undocumented', `${label}: ${table.name}`, 'table not in tests/seizure/catalog.ts');
      for (const c of table.columns) if (table.doc && !c.doc) add('fail', 'undocumented', `${label}: ${table.name}.${c.name}`, 'column not in tests/seizure/catalog.ts');
      for (const name of Object.keys(table.doc?.columns ?? {})) {
        if (!table.columns.some((c) => c.name === name)) add('fail', 'undocumented', `${label}: ${table.name}.${name}`, 'catalog names a column the schema does not have');
      }
    }
  }

  // 4. The log the relay printed (at debug level, the most it can say).
  const allowed = input.allowedLogLines ?? [];
  for (const [i, line] of input.log.split('\n').entries()) {
    if (line.trim() === '') continue;
    const where = `relay log line ${i + 1}`;
    for (const s of secrets) if (firstHit(Buffer.from(line), s.needles)) add('fail', 'plaintext', where, `${s.label} "${s.value}"`);
    const ip = findIp(line);
    if (ip && !allowed.some((re) => re.test(line))) add('fail', 'ip', where, `"${ip}" in ${line.slice(0, 120)}`);
    const who = accounts.find((a) => firstHit(Buffer.from(line), a.needles.slice(0, 5)));
    const group = groups.find((g) => firstHit(Buffer.from(line), g.needles));
    if (who && group) add('fail', 'link', where, `account ${who.name} and a group id in one log line`);
    else if (who) add('warn', 'logAccount', where, `account id of ${who.name}: ${line.slice(0, 120)}`);
  }
  return findings;
}

/**
 * How long the relay may keep what a deletion left in its WAL file (storage/sqlite/db.ts `checkpoint`,
 * run every AVISO_WAL_CHECKPOINT_SECONDS), with a few seconds for the checkpoint itself.
 */
export const WAL_BOUND_MS = loadConfig({}).walCheckpointMs + 5_000;
/**
 * How long a group send's recipient list may be anywhere in the WAL, counted from its
 * `received_at` (rounded down to the minute): the send is settled within LIVE_ENVELOPE_MAX_MS and
 * one straggler sweep (half of it), then the WAL bound.
 */
export const PENDING_BOUND_MS = 60_000 + LIVE_ENVELOPE_MAX_MS * 1.5 + WAL_BOUND_MS;

function checkWal(
  image: SeizedImage,
  accounts: Array<Identity & { needles: Array<{ encoding: string; bytes: Buffer }> }>,
  add: (severity: Severity, check: keyof typeof CHECKS, where: string, detail: string) => void,
): void {
  const wal = image.inventory.wal;
  if (wal === undefined) return;
  const where = `${image.label}: aviso.sqlite-wal`;
  const seizedAt = image.seizedAt ?? image.inventory.takenAt;
  const quiet = image.quietSince !== undefined && seizedAt - image.quietSince > WAL_BOUND_MS;
  const duration = (ms: number) => (ms < 180_000 ? `${Math.max(0, Math.round(ms / 1000))} s` : `${Math.round(ms / 60_000)} min`);
  const live = (table: string, col: string) => new Set((image.inventory.db?.tables.find((t) => t.name === table)?.data ?? []).map((r) => Number(r[col])));
  const livePending = live('pending_fanouts', 'shared_id');
  const liveMessages = live('messages', 'id');
  const quietFor = image.quietSince === undefined ? '' : `the relay had been quiet for ${duration(seizedAt - image.quietSince)}, more than the ${WAL_BOUND_MS / 1000} s bound`;

  // One finding per (frame kind, verdict): which sends, and everyone they name.
  const groups = new Map<string, { frames: Set<number>; sends: Set<number>; names: Set<string>; oldest: number; verdict: string; past: boolean; current: boolean }>();
  for (const p of wal.pending) {
    const old = seizedAt - p.receivedAt > PENDING_BOUND_MS;
    const past = old || (quiet && !livePending.has(p.sharedId));
    const verdict = old ? `past the bound: received more than ${PENDING_BOUND_MS / 1000} s before the seizure` : past ? `past the bound: ${quietFor}` : 'within the bound';
    const key = `${p.current}/${verdict}`;
    const g = groups.get(key) ?? { frames: new Set(), sends: new Set(), names: new Set(), oldest: p.receivedAt, verdict, past, current: p.current };
    g.frames.add(p.frame);
    g.sends.add(p.sharedId);
    g.oldest = Math.min(g.oldest, p.receivedAt);
    for (const a of accounts) if (firstHit(p.head, a.needles)) g.names.add(a.name);
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    add(
      g.past ? 'fail' : 'warn',
      'walRecipients',
      where,
      `${g.frames.size} ${g.current ? 'current' : 'stale'} frame(s) hold the pending_fanouts row of ${g.sends.size} group send(s), the oldest received ${duration(seizedAt - g.oldest)} before the seizure (${g.verdict}); recipients named: ${g.names.size === 0 ? 'none of the scenario\'s accounts' : [...g.names].sort().join(', ')}`,
    );
  }

  const deleted = wal.messages.filter((m) => !liveMessages.has(m.id));
  const rows = new Map<number, (typeof deleted)[number]>();
  for (const m of deleted) rows.set(m.id, m);
  if (rows.size > 0) {
    const frames = new Set(deleted.map((m) => m.frame));
    const stale = new Set(deleted.filter((m) => !m.current).map((m) => m.frame));
    const named = new Set(accounts.filter((a) => [...rows.values()].some((m) => m.accountId === a.accountId)).map((a) => a.name));
    add(
      quiet ? 'fail' : 'warn',
      'walEnvelopes',
      where,
      `${rows.size} envelope row(s) no longer queued (acknowledged, trimmed or expired) on ${frames.size} frame(s), ${stale.size} of them stale${quiet ? ` (past the bound: ${quietFor})` : ' (within the bound, or the relay was not known to be quiet)'}; queues of: ${[...named].sort().join(', ') || 'none of the scenario\'s accounts'}`,
    );
  }
}

function checkTable(
  table: string,
  rows: Row[],
  label: string,
  accounts: Array<Identity & { needles: Array<{ encoding: string; bytes: Buffer }> }>,
  groups: Array<{ id: string; needles: Array<{ encoding: string; bytes: Buffer }> }>,
  add: (severity: Severity, check: keyof typeof CHECKS, where: string, detail: string) => void,
): void {
  const envelopeTable = table === 'messages' || table === 'shared_payloads';
  for (const row of rows) {
    const cells = Object.entries(row);
    const whole = Buffer.concat(cells.map(([, v]) => cellBytes(v)));
    const named = accounts.filter((a) => firstHit(whole, a.needles));
    const inGroup = groups.find((g) => firstHit(whole, g.needles)) ?? (isGroupTable(table, row) && 'group_id' in row ? { id: String(row.group_id) } : undefined);
    if (isGroupTable(table, row)) {
      for (const a of named) {
        for (const [col, v] of cells) {
          const hit = firstHit(cellBytes(v), a.needles);
          if (hit) add('fail', 'groupAccount', `${label}: ${table}.${col}`, `${hit} of ${a.name}`);
        }
      }
    }
    if (inGroup && named.length > 0) add('fail', 'link', `${label}: ${table}`, `a row holds ${named.map((a) => a.name).join(', ')} and group ${inGroup.id.slice(0, 12)}…`);
    if (envelopeTable) {
      // The recipient's own account id is the queue's address; anyone else named on the envelope is a sender leak.
      const recipient = typeof row.account_id === 'string' ? row.account_id : undefined;
      for (const a of named) {
        if (a.accountId === recipient) {
          const elsewhere = cells.filter(([col]) => col !== 'account_id').find(([, v]) => firstHit(cellBytes(v), a.needles));
          if (elsewhere) add('fail', 'sender', `${label}: ${table}.${elsewhere[0]}`, `the recipient ${a.name} is named inside the envelope`);
          continue;
        }
        const col = cells.find(([, v]) => firstHit(cellBytes(v), a.needles))?.[0] ?? '?';
        add('fail', 'sender', `${label}: ${table}.${col}`, `${firstHit(whole, a.needles)} of ${a.name}`);
      }
    }
  }
  checkTimes(table, rows, label, add);
  if (table === 'messages') {
    const bySend = new Map<number, Set<string>>();
    for (const r of rows) if (typeof r.shared_id === 'number') bySend.set(r.shared_id, (bySend.get(r.shared_id) ?? new Set()).add(String(r.account_id)));
    const linked = [...bySend.values()].filter((s) => s.size > 1);
    if (linked.length > 0) {
      add('warn', 'recipients', `${label}: messages.shared_id`, `${linked.length} group send(s) still queued for 2+ accounts: rows sharing a shared_id show which accounts received the same group message, i.e. co-members of one group (up to ${Math.max(...linked.map((s) => s.size))} accounts)`);
    }
  }
}

function checkTimes(table: string, rows: Row[], label: string, add: (severity: Severity, check: keyof typeof CHECKS, where: string, detail: string) => void): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  for (const col of columns) {
    const nums = rows.map((r) => r[col]).filter((v): v is number => typeof v === 'number');
    if (nums.length === 0) continue;
    const where = `${label}: ${table}.${col}`;
    if (table === 'accounts' || table === 'devices') {
      // Accounts and devices may carry days, nothing finer: a precise time there is a last-seen.
      const precise = nums.filter((v) => isEpochMs(v) || isEpochSeconds(v));
      const timeLike = /(_at|_day|seen|time|date)$/.test(col);
      if (precise.length > 0) add('fail', 'lastSeen', where, `${precise.length} value(s) look like epoch timestamps (e.g. ${precise[0]})`);
      else if (timeLike && !nums.every(isDayNumber)) add('fail', 'lastSeen', where, `time column with values that are not UTC day numbers (e.g. ${nums.find((v) => !isDayNumber(v))})`);
      continue;
    }
    if (!nums.every(isEpochMs) || table === '__drizzle_migrations') continue;
    const res = resolution(nums);
    const documented = TABLES[table]?.columns[col]?.what ?? '';
    if (/minute/.test(documented) && (res === 'second' || res === 'millisecond')) add('fail', 'precision', where, `documented as rounded to the minute, stored to the ${res}`);
    else if (res === 'millisecond' || res === 'second') {
      add('warn', 'preciseTime', where, `${nums.length} value(s) to the ${res}: ${documented || 'a timestamp'}; the exact moment can be read back by subtracting the known lifetime`);
    }
  }
}
