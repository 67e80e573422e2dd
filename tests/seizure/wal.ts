/*
 * Reads an SQLite write-ahead log the way a forensic examiner would: frame by frame, stale frames
 * included, without SQLite (which reads only the current, committed frames). SQLite file format
 * §4 (the WAL) and §1.6 (b-tree pages, records).
 *
 * A WAL is a 32-byte header (magic, version, page size, checkpoint sequence, salt-1, salt-2, two
 * checksum words), then frames: a 24-byte header (page number, database size for a commit frame or
 * 0, salt-1, salt-2, two checksum words) and one page image. A frame is current when its salts are
 * the header's and the running checksum holds up to it, and it is at or before the last commit
 * frame; every other frame is stale: left over from an earlier generation of the log (SQLite
 * restarts writing at the beginning after a checkpoint and changes the salts, but does not clear
 * what lies beyond), or written by a transaction that never committed.
 */

export interface WalFrame {
  /** 0-based position in the file. */
  index: number;
  pageNumber: number;
  /** Database size in pages for a commit frame, else 0. */
  commitSize: number;
  current: boolean;
  page: Buffer;
}

export interface WalFile {
  pageSize: number;
  checkpointSequence: number;
  frames: WalFrame[];
}

const MAGIC_LE = 0x377f0682;
const MAGIC_BE = 0x377f0683;

function checksum(buf: Buffer, start: number, end: number, s: [number, number], bigEndian: boolean): [number, number] {
  let [s0, s1] = s;
  for (let i = start; i + 8 <= end; i += 8) {
    const x0 = bigEndian ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
    const x1 = bigEndian ? buf.readUInt32BE(i + 4) : buf.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

/** Every frame of a WAL file; undefined if it has no valid header (empty, or not a WAL). */
export function parseWal(bytes: Buffer): WalFile | undefined {
  if (bytes.length < 32) return undefined;
  const magic = bytes.readUInt32BE(0);
  if (magic !== MAGIC_LE && magic !== MAGIC_BE) return undefined;
  const bigEndian = magic === MAGIC_BE;
  const pageSize = bytes.readUInt32BE(8) === 1 ? 65536 : bytes.readUInt32BE(8);
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return undefined;
  const salt1 = bytes.readUInt32BE(16);
  const salt2 = bytes.readUInt32BE(20);
  let sum = checksum(bytes, 0, 24, [0, 0], bigEndian);
  const headerValid = sum[0] === bytes.readUInt32BE(24) && sum[1] === bytes.readUInt32BE(28);
  const frameBytes = 24 + pageSize;
  const frames: WalFrame[] = [];
  let chainValid = headerValid;
  let lastCommit = -1;
  const valid: boolean[] = [];
  for (let i = 0, at = 32; at + frameBytes <= bytes.length; i++, at += frameBytes) {
    const pageNumber = bytes.readUInt32BE(at);
    const commitSize = bytes.readUInt32BE(at + 4);
    const salted = bytes.readUInt32BE(at + 8) === salt1 && bytes.readUInt32BE(at + 12) === salt2;
    if (chainValid && salted) {
      sum = checksum(bytes, at, at + 8, sum, bigEndian);
      sum = checksum(bytes, at + 24, at + frameBytes, sum, bigEndian);
      chainValid = sum[0] === bytes.readUInt32BE(at + 16) && sum[1] === bytes.readUInt32BE(at + 20);
    } else {
      chainValid = false;
    }
    valid.push(chainValid);
    if (chainValid && commitSize !== 0) lastCommit = i;
    frames.push({ index: i, pageNumber, commitSize, current: false, page: bytes.subarray(at + 24, at + frameBytes) });
  }
  for (const f of frames) f.current = valid[f.index] === true && f.index <= lastCommit;
  return { pageSize, checkpointSequence: bytes.readUInt32BE(12), frames };
}

export type Value = null | number | bigint | Buffer | string;

/** A row found on a table b-tree leaf page. `truncated`: its record continues on overflow pages. */
export interface PageRow {
  rowid: number;
  values: Value[];
  truncated: boolean;
}

function varint(buf: Buffer, at: number): [value: number, length: number] {
  let v = 0n;
  for (let i = 0; i < 9; i++) {
    if (at + i >= buf.length) return [Number(v), i + 1];
    const b = buf[at + i]!;
    if (i === 8) return [Number((v << 8n) | BigInt(b)), 9];
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) return [Number(v), i + 1];
  }
  return [Number(v), 9];
}

function serialLength(type: number): number {
  if (type >= 12) return Math.floor((type - (type % 2 === 0 ? 12 : 13)) / 2);
  return [0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0][type] ?? 0;
}

function decodeValue(type: number, buf: Buffer, at: number, length: number): Value {
  if (type === 0) return null;
  if (type === 8) return 0;
  if (type === 9) return 1;
  if (type >= 1 && type <= 5) return buf.readIntBE(at, length);
  if (type === 6) return Number(buf.readBigInt64BE(at));
  if (type === 7) return buf.readDoubleBE(at);
  if (type >= 12 && type % 2 === 0) return Buffer.from(buf.subarray(at, at + length));
  if (type >= 13) return buf.toString('utf8', at, at + length);
  return null;
}

/**
 * The rows on a table b-tree leaf page (page type 0x0d), decoded from the page alone: values that
 * lie on overflow pages are cut at the page (`truncated`). Any other kind of page gives no rows.
 * `first`: page 1, whose b-tree header follows the 100-byte database header.
 */
export function leafRows(page: Buffer, first = false): PageRow[] {
  const h = first ? 100 : 0;
  if (page.length < h + 8 || page[h] !== 0x0d) return [];
  const cells = page.readUInt16BE(h + 3);
  const usable = page.length;
  const maxLocal = usable - 35;
  const minLocal = Math.floor(((usable - 12) * 32) / 255) - 23;
  const rows: PageRow[] = [];
  for (let c = 0; c < cells; c++) {
    const ptrAt = h + 8 + 2 * c;
    if (ptrAt + 2 > page.length) break;
    let at = page.readUInt16BE(ptrAt);
    if (at < h + 8 || at >= page.length) continue;
    try {
      const [payload, n1] = varint(page, at);
      at += n1;
      const [rowid, n2] = varint(page, at);
      at += n2;
      let local = payload;
      if (payload > maxLocal) {
        const k = minLocal + ((payload - minLocal) % (usable - 4));
        local = k <= maxLocal ? k : minLocal;
      }
      const end = Math.min(at + local, page.length);
      const [headerSize, n3] = varint(page, at);
      const types: number[] = [];
      for (let p = at + n3; p < at + headerSize && p < end; ) {
        const [t, n] = varint(page, p);
        types.push(t);
        p += n;
      }
      const values: Value[] = [];
      let truncated = local < payload;
      let p = at + headerSize;
      for (const t of types) {
        const len = serialLength(t);
        if (p + len > end) {
          truncated = true;
          // What is on this page of a value that continues elsewhere.
          values.push(t >= 12 && p < end ? Buffer.from(page.subarray(p, end)) : null);
          p = end;
          continue;
        }
        values.push(decodeValue(t, page, p, len));
        p += len;
      }
      rows.push({ rowid, values, truncated });
    } catch {
      // A stale or torn page: skip the cell, keep the others.
    }
  }
  return rows;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isInt = (v: Value | undefined): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * Which of the relay's two row shapes that matter here a decoded row has, from its values alone
 * (a stale frame's page may since belong to another table, so its page number proves nothing):
 * `pending_fanouts` (shared_id as the rowid, first_id, received_at, head, a 16-byte guid_seed) or
 * `messages` (id as the rowid, a UUID guid, a UUID account id, device, two times, content, shared_id).
 */
export function rowKind(row: PageRow): 'pending_fanouts' | 'messages' | undefined {
  const v = row.values;
  if (v.length === 5 && v[0] === null && isInt(v[1]) && isInt(v[2]) && Buffer.isBuffer(v[3]) && (Buffer.isBuffer(v[4]) ? v[4].length === 16 : row.truncated)) return 'pending_fanouts';
  if (v.length === 8 && v[0] === null && typeof v[1] === 'string' && UUID.test(v[1]) && typeof v[2] === 'string' && UUID.test(v[2]) && isInt(v[3]) && isInt(v[4]) && isInt(v[5])) return 'messages';
  return undefined;
}
