// `@aviso/protocol/constants`: the protocol's plain values, without zod or any schema, for code that
// must start fast (the `aviso` command line prints its help from these). The main entry exports the
// same values; both come from the same files, so they cannot drift.
export { ACK_STATUSES, ALERT_KINDS, ALERT_LIMITS, SEVERITIES } from './alert-vocabulary.js';
export { PROTOCOL_VERSION } from './version.js';
