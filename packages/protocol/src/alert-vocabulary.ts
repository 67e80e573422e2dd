/**
 * The alert vocabulary's plain values (kinds, severities, answers, text limits), apart from the zod
 * schemas in alerts.ts that are built from them: a command line reads these to print its help and
 * check its flags before it has loaded any schema (`@aviso/protocol/constants`).
 */

export const ALERT_KINDS = ['raid', 'checkpoint', 'sighting', 'patrol', 'other'] as const;

export const SEVERITIES = ['info', 'urgent', 'critical'] as const;

export const ACK_STATUSES = ['seen', 'on-my-way', 'on-scene', 'cannot'] as const;

export const ALERT_LIMITS = {
  titleChars: 140,
  bodyChars: 2000,
  placeChars: 200,
  noteChars: 500,
  textChars: 4000,
  /** A kind name on the wire, known or not (docs/alerts.md "Adding an alert kind"). */
  kindChars: 64,
  /** Default lifetime of an alert. */
  defaultExpiresInSeconds: 4 * 3600,
  /** Longest lifetime a sender may ask for. */
  maxExpiresInSeconds: 7 * 86400,
} as const;
