// What a front end shows of the SDK's objects, as plain JSON: the CLI prints these with --json and
// the app reads the same shapes, so one change here changes both.
export { ackCounts, alertJson, bySeverity, type AckCounts } from './alerts.js';
export { CONTACT_MAX_CHARS, composeDescription, parseDescription, type GroupContacts, type ParsedDescription } from './contacts.js';
export { groupJson, groupPeople, memberJson, type People } from './groups.js';
export { activeGroups, allAlerts, type FoundAlert } from './lookup.js';
export { inviteStateJson, newInviteJson, requestJson, rollCallJson, type RollCallPerson } from './organiser.js';
