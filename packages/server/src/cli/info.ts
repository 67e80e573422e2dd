import { existsSync } from 'node:fs';
import { PROTOCOL_VERSION } from '@aviso/protocol';
import type { Config } from '../config.js';
import type { RelayCounts } from '../ports/storage.js';
import { dataDirHint, diskUse, formatBytes, loadExistingKeys, openExistingDatabase } from './data-files.js';
import { isDataDirLocked } from './data-lock.js';
import { CliError } from './errors.js';
import { trustRootFingerprint, type TrustRootFingerprint } from './fingerprint.js';

/** What `aviso-relay info` reports: public parameters and totals, never an id. */
export interface RelayReport {
  /** Where `serve` listens with this configuration (members reach it through the public https URL). */
  listenUrl: string;
  dataDir: string;
  /** A relay process holds this data folder's lock right now. */
  serving: boolean;
  protocolVersion: number;
  trustRoot: TrustRootFingerprint;
  counts: RelayCounts;
  /** Bytes of every file in the data folder (database, WAL, keys). */
  diskBytes: number;
}

export function relayReport(config: Config, now: number): RelayReport {
  if (!existsSync(config.dataDir)) throw new CliError(`no relay data in ${config.dataDir} — ${dataDirHint}`);
  const db = openExistingDatabase(config.dataDir);
  try {
    const keys = loadExistingKeys(config.dataDir);
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return {
      listenUrl: `http://${host}:${config.port}`,
      dataDir: config.dataDir,
      serving: isDataDirLocked(config.dataDir),
      protocolVersion: PROTOCOL_VERSION,
      trustRoot: trustRootFingerprint(keys.trustRoot),
      counts: db.counts(now),
      diskBytes: diskUse(config.dataDir),
    };
  } finally {
    db.close();
  }
}

export function formatReport(r: RelayReport): string[] {
  const row = (label: string, value: string | number) => `${label.padEnd(22)}${value}`;
  return [
    row('relay URL', `${r.listenUrl}  (where serve listens; members use your public https:// address)`),
    row('data folder', `${r.dataDir}  (${r.serving ? 'a relay is serving it' : 'no relay is serving it'})`),
    row('protocol version', r.protocolVersion),
    row('trust root', `${r.trustRoot.trustRoot}  (trustRoot in GET /v1/relay)`),
    row('trust root SHA-256', `${r.trustRoot.sha256Hex}  (publish this; members pin it)`),
    row('  as in invite codes', r.trustRoot.sha256Base64url),
    // The grouping members see in the app and `aviso register`: read it to them line by line.
    ...r.trustRoot.lines.map((line, i) => row(i === 0 ? 'fingerprint' : '', i === 0 ? `${line}  (what members compare)` : line)),
    row('accounts', r.counts.accounts),
    row('devices', r.counts.devices),
    row('groups', r.counts.groups),
    row('queued envelopes', r.counts.queuedEnvelopes),
    row('live tokens', r.counts.liveRegistrationTokens),
    row('disk use', `${formatBytes(r.diskBytes)} (${r.diskBytes} bytes)`),
  ];
}
