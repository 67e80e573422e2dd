import { existsSync } from 'node:fs';
import { PROTOCOL_VERSION } from '@aviso/protocol';
import type { Config } from '../config.js';
import type { RelayCounts } from '../ports/storage.js';
import { diskUse, formatBytes, loadExistingKeys, noRelayData, openExistingDatabase } from './data-files.js';
import { isDataDirLocked } from './data-lock.js';
import { trustRootFingerprint, type TrustRootFingerprint } from './fingerprint.js';
import { say, type Lang, type MessageKey } from './words.js';

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
  if (!existsSync(config.dataDir)) throw noRelayData(config.dataDir);
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

/**
 * The human view of the report, labels in the operator's language (`--json` is the stable one). The
 * English labels keep their 22-column layout; a longer translation widens the column.
 */
export function formatReport(r: RelayReport, lang: Lang = 'en'): string[] {
  const w = (key: MessageKey, params?: Record<string, string>) => say(lang, params ? { key, params } : { key });
  const rows: [label: string, value: string | number][] = [
    [w('relay.info.url'), `${r.listenUrl}  ${w('relay.info.urlNote')}`],
    [w('relay.info.dataDir'), `${r.dataDir}  ${w(r.serving ? 'relay.info.serving' : 'relay.info.notServing')}`],
    [w('relay.info.protocol'), r.protocolVersion],
    [w('relay.info.trustRoot'), `${r.trustRoot.trustRoot}  ${w('relay.info.trustRootNote')}`],
    [w('relay.info.sha'), `${r.trustRoot.sha256Hex}  ${w('relay.info.shaNote')}`],
    [w('relay.info.invite'), r.trustRoot.sha256Base64url],
    // The grouping members see in the app and `aviso register`: read it to them line by line.
    ...r.trustRoot.lines.map((line, i): [string, string] => (i === 0 ? [w('relay.info.fingerprint'), `${line}  ${w('relay.info.fingerprintNote')}`] : ['', line])),
    [w('relay.info.accounts'), r.counts.accounts],
    [w('relay.info.devices'), r.counts.devices],
    [w('relay.info.groups'), r.counts.groups],
    [w('relay.info.queued'), r.counts.queuedEnvelopes],
    [w('relay.info.tokens'), r.counts.liveRegistrationTokens],
    [w('relay.info.disk'), w('relay.info.diskValue', { size: formatBytes(r.diskBytes), bytes: String(r.diskBytes) })],
  ];
  const width = Math.max(22, ...rows.map(([label]) => label.length + 2));
  return rows.map(([label, value]) => `${label.padEnd(width)}${value}`);
}
