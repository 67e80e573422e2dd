import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LIMITS } from '@aviso/protocol';

export interface InvariantOptions {
  /** A registration token the run used, with the uses it started with: accounts must match its spent uses. */
  token?: { value: string; uses: number; accountsBefore: number };
}

/**
 * Reads the relay's database file directly (a second reader; WAL allows it) and returns every broken
 * invariant, as text. Empty means consistent: the fuzzers and abuse tests assert it is empty.
 */
export function brokenInvariants(dataDir: string, options: InvariantOptions = {}): string[] {
  const db = new Database(join(dataDir, 'aviso.sqlite'), { readonly: true, fileMustExist: true });
  const broken: string[] = [];
  const n = (sql: string, ...params: unknown[]): number => (db.prepare(sql).get(...params) as { n: number }).n;
  const expectZero = (what: string, sql: string) => {
    const count = n(sql);
    if (count !== 0) broken.push(`${what}: ${count}`);
  };
  try {
    const integrity = db.pragma('integrity_check') as { integrity_check: string }[];
    if (integrity.length !== 1 || integrity[0]?.integrity_check !== 'ok') broken.push(`integrity_check: ${JSON.stringify(integrity)}`);
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length !== 0) broken.push(`foreign_key_check: ${JSON.stringify(fk.slice(0, 5))}`);

    expectZero('envelopes without a device', `SELECT count(*) AS n FROM messages m WHERE NOT EXISTS
      (SELECT 1 FROM devices d WHERE d.account_id = m.account_id AND d.device_id = m.device_id)`);
    expectZero('envelopes pointing at a missing shared payload', `SELECT count(*) AS n FROM messages m
      WHERE m.shared_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM shared_payloads s WHERE s.id = m.shared_id)`);
    expectZero('envelopes with an empty body or expiring before they arrived', `SELECT count(*) AS n FROM messages
      WHERE length(content) = 0 OR expires_at <= received_at`);
    expectZero('duplicate envelope guids on one device', `SELECT count(*) AS n FROM (SELECT 1 FROM messages
      GROUP BY account_id, device_id, guid HAVING count(*) > 1)`);
    expectZero('accounts without a device (partial registration)', `SELECT count(*) AS n FROM accounts a
      WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.account_id = a.id)`);
    expectZero('devices without a signed prekey (partial registration)', `SELECT count(*) AS n FROM devices d
      WHERE NOT EXISTS (SELECT 1 FROM signed_prekeys s WHERE s.account_id = d.account_id AND s.device_id = d.device_id)`);
    expectZero('devices without a last-resort Kyber key (partial registration)', `SELECT count(*) AS n FROM devices d
      WHERE NOT EXISTS (SELECT 1 FROM kyber_last_resort k WHERE k.account_id = d.account_id AND k.device_id = d.device_id)`);
    expectZero('devices with an out-of-range id, registration id or negative dropped count', `SELECT count(*) AS n FROM devices
      WHERE device_id NOT BETWEEN 1 AND 127 OR registration_id NOT BETWEEN 1 AND 16380 OR dropped_count < 0`);
    expectZero('identity keys that are not 33 bytes', 'SELECT count(*) AS n FROM accounts WHERE length(identity_key) != 33');
    for (const table of ['ec_prekeys', 'kyber_prekeys']) {
      expectZero(`devices holding more than ${LIMITS.maxStoredPreKeys} ${table}`, `SELECT count(*) AS n FROM
        (SELECT 1 FROM ${table} GROUP BY account_id, device_id HAVING count(*) > ${LIMITS.maxStoredPreKeys})`);
      expectZero(`${table} with an out-of-range key id`, `SELECT count(*) AS n FROM ${table} WHERE key_id NOT BETWEEN 1 AND ${0xffffff}`);
    }
    expectZero('registration tokens with no uses left (should be removed)', 'SELECT count(*) AS n FROM registration_tokens WHERE uses_left <= 0');
    // A group's log is contiguous from version 0 to the group's version.
    expectZero('groups whose change log has gaps', `SELECT count(*) AS n FROM groups g WHERE
      (SELECT count(*) FROM group_changes c WHERE c.group_id = g.id) != g.version + 1
      OR (SELECT max(version) FROM group_changes c WHERE c.group_id = g.id) != g.version`);
    expectZero('groups without members or admins', `SELECT count(*) AS n FROM groups g WHERE NOT EXISTS
      (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.role = 'admin')`);
    expectZero('group invites used beyond their limit', 'SELECT count(*) AS n FROM group_invites WHERE uses > max_uses OR uses < 0');
    expectZero('members both pending and admitted', `SELECT count(*) AS n FROM group_pending p JOIN group_members m
      ON m.group_id = p.group_id AND m.member = p.member`);

    if (options.token) {
      const hash = createHash('sha256').update(options.token.value, 'utf8').digest('hex');
      const row = db.prepare('SELECT uses_left AS left FROM registration_tokens WHERE hash = ?').get(hash) as { left: number } | undefined;
      const spent = options.token.uses - (row?.left ?? 0);
      const accounts = n('SELECT count(*) AS n FROM accounts');
      if (accounts !== options.token.accountsBefore + spent) {
        broken.push(`accounts (${accounts}) != accounts before (${options.token.accountsBefore}) + token uses spent (${spent})`);
      }
    }
  } finally {
    db.close();
  }
  return broken;
}
