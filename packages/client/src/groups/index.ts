export { GroupLog, type CreateGroupInput, type CreateInviteInput } from './group-log.js';
export { encodeInviteCode, parseInviteCode, normalizeRelayUrl, type InviteCode } from './invite-code.js';
