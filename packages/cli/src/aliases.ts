import { ACK_STATUSES, ALERT_KINDS, SEVERITIES } from '@aviso/protocol/constants';

type Kind = (typeof ALERT_KINDS)[number];
type Severity = (typeof SEVERITIES)[number];
type AckStatus = (typeof ACK_STATUSES)[number];

/**
 * Spanish words accepted on input for kinds, severities and answers (docs/cli.md "Language"),
 * whatever the terminal's language: a Spanish speaker types `aviso ack 3f2a visto` from a script
 * or an English terminal alike. They are input only: what is sent, stored and printed with --json
 * is always the protocol's own value. These names are a contract, like the commands.
 */
const KIND_ALIASES: Record<string, Kind> = {
  redada: 'raid',
  reten: 'checkpoint',
  'punto-de-control': 'checkpoint',
  'vieron-agentes': 'sighting',
  agentes: 'sighting',
  avistamiento: 'sighting',
  patrulla: 'patrol',
  otro: 'other',
};

const SEVERITY_ALIASES: Record<string, Severity> = {
  'muy-grave': 'critical',
  critica: 'critical',
  critico: 'critical',
  urgente: 'urgent',
  aviso: 'info',
  informacion: 'info',
};

const ACK_ALIASES: Record<string, AckStatus> = {
  visto: 'seen',
  vista: 'seen',
  'voy-en-camino': 'on-my-way',
  'en-camino': 'on-my-way',
  voy: 'on-my-way',
  'en-el-lugar': 'on-scene',
  'estoy-en-el-lugar': 'on-scene',
  'no-puedo': 'cannot',
  'no-puedo-ir': 'cannot',
};

/**
 * What a person typed, folded for matching: lower case, accents dropped (`retén` = `reten`), and
 * spaces or underscores as hyphens (`"voy en camino"` = `voy-en-camino`).
 */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
}

function resolve<T extends string>(text: string, values: readonly T[], aliases: Record<string, T>): string {
  const folded = fold(text);
  if ((values as readonly string[]).includes(folded)) return folded;
  return Object.hasOwn(aliases, folded) ? aliases[folded]! : text;
}

/** The protocol's kind for `text` (`redada` → raid), or `text` as typed when it names none (oneOf says so). */
export const kindOf = (text: string): string => resolve(text, ALERT_KINDS, KIND_ALIASES);
export const severityOf = (text: string): string => resolve(text, SEVERITIES, SEVERITY_ALIASES);
export const ackStatusOf = (text: string): string => resolve(text, ACK_STATUSES, ACK_ALIASES);

/** Every Spanish word accepted, by what it means (for docs and tests). */
export const ALIASES = { kind: KIND_ALIASES, severity: SEVERITY_ALIASES, ack: ACK_ALIASES } as const;
