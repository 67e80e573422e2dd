export { CHECKPOINT_EVERY, GroupLog, type CreateGroupInput, type CreateInviteInput } from './group-log.js';
export { encodeInviteCode, parseInviteCode, normalizeRelayUrl, type InviteCode, type InviteHead } from './invite-code.js';
