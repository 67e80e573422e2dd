import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { FILES, READERS, TABLES, type ColumnDoc, type TableDoc } from './catalog.js';
import { leafRows, parseWal, rowKind } from './wal.js';

export const DB_FILE = 'aviso.sqlite';

export interface FileInfo {
  name: string;
  size: number;
  /** Octal permission bits, e.g. `600`. */
  mode: string;
  what: string;
  reader: string;
  documented: boolean;
}

export type Cell = string | number | bigint | Buffer | null;
export type Row = Record<string, Cell>;

export interface ColumnInfo {
  name: string;
  declaredType: string;
  nonNull: number;
  /** Sum of the stored lengths (bytes for blobs, UTF-8 bytes for text, 8 per integer). */
  bytes: number;
  /** What the values look like, inferred from the data itself. */
  content: string;
  doc: ColumnDoc | undefined;
}

export interface TableInfo {
  name: string;
  rows: number;
  columns: ColumnInfo[];
  doc: TableDoc | undefined;
  /** Every row, for the checks (kept in memory: a scenario's relay holds a few thousand rows). */
  data: Row[];
}

export interface DbInfo {
  pageSize: number;
  pages: number;
  freePages: number;
  /** Non-zero bytes found in free-list pages (secure_delete should leave none). */
  freePageNonZeroBytes: number;
  journalMode: string;
  tables: TableInfo[];
  indexes: string[];
}

/** A `pending_fanouts` row (a group send's recipient list) found on a page image in the WAL. */
export interface WalPendingRow {
  frame: number;
  current: boolean;
  sharedId: number;
  receivedAt: number;
  /** What of `head` (recipients' ACIs, devices, key boxes) is on the page. */
  head: Buffer;
}

/** A `messages` row (an envelope) found on a page image in the WAL. */
export interface WalMessageRow {
  frame: number;
  current: boolean;
  id: number;
  accountId: string;
  receivedAt: number;
}

export interface WalInfo {
  bytes: number;
  frames: number;
  /** Frames SQLite would replay (valid salts and checksums, up to the last commit). */
  currentFrames: number;
  /** The others: earlier generations of the log, or uncommitted. What SQLite never reads, and a forensic reader does. */
  staleFrames: number;
  pending: WalPendingRow[];
  messages: WalMessageRow[];
}

export interface FolderInventory {
  dir: string;
  /** When the folder was inventoried (ms): the default time of the seizure. */
  takenAt: number;
  files: FileInfo[];
  db: DbInfo | undefined;
  wal: WalInfo | undefined;
}

/** Every file of the folder (recursively) with its raw bytes, for the byte-level checks. */
export function readFolder(dir: string): Array<{ name: string; bytes: Buffer }> {
  const out: Array<{ name: string; bytes: Buffer }> = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push({ name: relative(dir, path), bytes: readFileSync(path) });
    }
  };
  walk(dir);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Lists the folder, then opens the database from a copy (so the image itself is never touched). */
export function inventoryFolder(dir: string): FolderInventory {
  const files = readFolder(dir).map(({ name, bytes }) => {
    const doc = FILES[name];
    return {
      name,
      size: bytes.length,
      mode: (statSync(join(dir, name)).mode & 0o777).toString(8),
      what: doc?.what ?? 'UNEXPECTED FILE',
      reader: doc ? READERS[doc.reader] : READERS.disk,
      documented: doc !== undefined,
    };
  });
  const takenAt = Date.now();
  const wal = files.some((f) => f.name === `${DB_FILE}-wal`) ? inspectWal(readFileSync(join(dir, `${DB_FILE}-wal`))) : undefined;
  const db = files.some((f) => f.name === DB_FILE) ? inspectDatabase(dir) : undefined;
  return { dir, takenAt, files, db, wal };
}

/** Every frame of the WAL, current and stale, and the group-send and envelope rows on its table pages. */
export function inspectWal(bytes: Buffer): WalInfo {
  const parsed = parseWal(bytes);
  const info: WalInfo = { bytes: bytes.length, frames: 0, currentFrames: 0, staleFrames: 0, pending: [], messages: [] };
  if (parsed === undefined) return info;
  info.frames = parsed.frames.length;
  for (const f of parsed.frames) {
    if (f.current) info.currentFrames++;
    else info.staleFrames++;
    for (const row of leafRows(f.page, f.pageNumber === 1)) {
      const kind = rowKind(row);
      const v = row.values;
      if (kind === 'pending_fanouts') info.pending.push({ frame: f.index, current: f.current, sharedId: row.rowid, receivedAt: v[2] as number, head: v[3] as Buffer });
      else if (kind === 'messages') info.messages.push({ frame: f.index, current: f.current, id: row.rowid, accountId: v[2] as string, receivedAt: v[4] as number });
    }
  }
  return info;
}

function inspectDatabase(dir: string): DbInfo {
  // A copy with its WAL, so SQLite recovers committed-but-unchecked-pointed pages exactly as the relay would.
  const copy = mkdtempSync(join(tmpdir(), 'aviso-seizure-db-'));
  try {
    for (const suffix of ['', '-wal', '-shm']) {
      try {
        cpSync(join(dir, DB_FILE + suffix), join(copy, DB_FILE + suffix));
      } catch {
        // -wal and -shm are absent after a clean shutdown.
      }
    }
    const freeRaw = freePageStats(readFileSync(join(dir, DB_FILE)));
    const db = new Database(join(copy, DB_FILE));
    try {
      const pageSize = Number(db.pragma('page_size', { simple: true }));
      const pages = Number(db.pragma('page_count', { simple: true }));
      const freePages = Number(db.pragma('freelist_count', { simple: true }));
      const journalMode = String(db.pragma('journal_mode', { simple: true }));
      const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
      const tables = names.map((name) => {
        const cols = db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string; type: string }[];
        const data = db.prepare(`SELECT * FROM "${name}"`).all() as Row[];
        const doc = TABLES[name];
        return {
          name,
          rows: data.length,
          doc,
          data,
          columns: cols.map((c) => describeColumn(name, c.name, c.type, data.map((r) => r[c.name] ?? null), doc?.columns[c.name])),
        };
      });
      return { pageSize, pages, freePages, freePageNonZeroBytes: freeRaw.nonZeroBytes, journalMode, tables, indexes };
    } finally {
      db.close();
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/**
 * Walks the free-list of the main database file as it lies on disk (SQLite file format §1.3.6:
 * trunk pages list leaf pages) and counts non-zero bytes in the leaf pages, where deleted rows would
 * linger without secure_delete. Trunk pages hold page numbers only and are skipped.
 */
export function freePageStats(file: Buffer): { pages: number; nonZeroBytes: number } {
  if (file.length < 100) return { pages: 0, nonZeroBytes: 0 };
  const rawSize = file.readUInt16BE(16);
  const pageSize = rawSize === 1 ? 65536 : rawSize;
  let trunk = file.readUInt32BE(32);
  let pages = 0;
  let nonZeroBytes = 0;
  const seen = new Set<number>();
  while (trunk !== 0 && !seen.has(trunk) && trunk * pageSize <= file.length) {
    seen.add(trunk);
    pages++;
    const base = (trunk - 1) * pageSize;
    const leaves = file.readUInt32BE(base + 4);
    for (let i = 0; i < leaves && 8 + 4 * i + 4 <= pageSize; i++) {
      const leaf = file.readUInt32BE(base + 8 + 4 * i);
      const start = (leaf - 1) * pageSize;
      if (start + pageSize > file.length) continue;
      pages++;
      for (let j = start; j < start + pageSize; j++) if (file[j] !== 0) nonZeroBytes++;
    }
    trunk = file.readUInt32BE(base);
  }
  return { pages, nonZeroBytes };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const HEX = /^[0-9a-f]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Epoch milliseconds between 2001 and 2096. */
export const isEpochMs = (v: number): boolean => v > 1e12 && v < 4e12;
/** Epoch seconds between 2001 and 2096. */
export const isEpochSeconds = (v: number): boolean => v > 1e9 && v < 4e9;
/** UTC day numbers between 2022 and 2079. */
export const isDayNumber = (v: number): boolean => v > 19_000 && v < 40_000;

/** The coarsest unit every value is a multiple of (for epoch-millisecond columns). */
export function resolution(values: number[]): 'day' | 'minute' | 'second' | 'millisecond' {
  if (values.every((v) => v % DAY_MS === 0)) return 'day';
  if (values.every((v) => v % MINUTE_MS === 0)) return 'minute';
  if (values.every((v) => v % 1000 === 0)) return 'second';
  return 'millisecond';
}

function entropyBitsPerByte(chunks: Buffer[]): number {
  const counts = new Array<number>(256).fill(0);
  let n = 0;
  for (const c of chunks) {
    for (const b of c) counts[b]!++;
    n += c.length;
  }
  if (n === 0) return 0;
  let h = 0;
  for (const k of counts) if (k > 0) h -= (k / n) * Math.log2(k / n);
  return h;
}

const range = (xs: number[]) => (Math.min(...xs) === Math.max(...xs) ? `${Math.min(...xs)}` : `${Math.min(...xs)}–${Math.max(...xs)}`);

/** Describes a column's values from the data alone (not from its name or the catalog). */
function describeColumn(table: string, name: string, declaredType: string, values: Cell[], doc: ColumnDoc | undefined): ColumnInfo {
  const present = values.filter((v) => v !== null);
  let bytes = 0;
  for (const v of present) bytes += Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? Buffer.byteLength(v) : 8;
  return { name, declaredType: declaredType || 'ANY', nonNull: present.length, bytes, content: classify(table, name, present), doc };
}

function classify(table: string, name: string, values: Exclude<Cell, null>[]): string {
  if (values.length === 0) return 'empty';
  if (values.every((v) => typeof v === 'number' || typeof v === 'bigint')) {
    const nums = values.map(Number);
    if (nums.every(isEpochMs)) return `timestamp (ms), ${resolution(nums)} resolution`;
    if (nums.every(isEpochSeconds)) return 'timestamp (s)';
    if (nums.every(isDayNumber) && name.endsWith('_day')) return `UTC day number (${range(nums)})`;
    if (nums.every((v) => v === 0 || v === 1) && !/count|uses|seq|version|id$/.test(name)) return 'flag (0/1)';
    // Random identifiers (key ids, registration ids): their range says nothing and changes every run.
    if (nums.length >= 3 && new Set(nums).size === nums.length && Math.max(...nums) >= 1000 && !/^(id|seq)$/.test(name)) {
      return `integer (${nums.length} distinct, up to ${8 * Math.ceil(Math.log2(Math.max(...nums) + 1) / 8)} bits)`;
    }
    return `integer (${range(nums)})`;
  }
  if (values.every((v) => typeof v === 'string')) {
    const strs = values as string[];
    if (strs.every((s) => UUID.test(s))) return 'random UUID v4';
    if (strs.every((s) => HEX.test(s) && s.length % 2 === 0)) return `hex (${range(strs.map((s) => s.length / 2))} bytes)`;
    if (strs.every((s) => s.startsWith('{') || s.startsWith('['))) return `JSON text (${range(strs.map((s) => s.length))} chars)`;
    if (strs.every((s) => BASE64.test(s) && s.length >= 16)) return `base64 (${range(strs.map((s) => Buffer.from(s, 'base64').length))} bytes)`;
    const distinct = [...new Set(strs)];
    if (distinct.length <= 5 && strs.length > distinct.length) return `one of: ${distinct.sort().join(', ')}`;
    return `text (${range(strs.map((s) => s.length))} chars)`;
  }
  if (values.every(Buffer.isBuffer)) {
    const bufs = values as Buffer[];
    const h = entropyBitsPerByte(bufs);
    const total = bufs.reduce((s, b) => s + b.length, 0);
    // Shannon entropy of the pooled bytes: random or encrypted data approaches 8 bits per byte once there is enough of it.
    // Too few bytes for the estimate to mean anything: say only how long they are.
    if (total < 512) return `bytes (${range(bufs.map((b) => b.length))} each)`;
    return `bytes (${range(bufs.map((b) => b.length))} each, ${h > 7.5 ? 'high-entropy' : 'structured'})`;
  }
  return `mixed (${table}.${name})`;
}

export interface LogKind {
  source: string;
  message: string;
  count: number;
  fields: string[];
}

/** Groups the relay's output lines by (logger name, message) with the fields each carried. */
export function inventoryLog(log: string): { lines: number; kinds: LogKind[] } {
  const kinds = new Map<string, LogKind>();
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  for (const line of lines) {
    let source = 'stdout/stderr (plain text)';
    let message = line.replace(/\d+/g, 'N');
    let fields: string[] = [];
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      source = `pino ${String(parsed.name ?? 'root')}`;
      message = String(parsed.msg ?? '');
      fields = Object.keys(parsed).filter((k) => !['level', 'time', 'msg', 'name'].includes(k));
    } catch {
      // not JSON: a plain line (the ready line on stdout, or a crash trace)
    }
    const key = `${source}\u0000${message}`;
    const kind = kinds.get(key) ?? { source, message, count: 0, fields: [] };
    kind.count++;
    kind.fields = [...new Set([...kind.fields, ...fields])].sort();
    kinds.set(key, kind);
  }
  return { lines: lines.length, kinds: [...kinds.values()].sort((a, b) => a.source.localeCompare(b.source) || a.message.localeCompare(b.message)) };
}
