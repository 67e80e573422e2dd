export { CHECKPOINT_EVERY, GroupLog, INVITE_CHECKPOINT_GAP, type CreateGroupInput, type CreateInviteInput } from './group-log.js';
export { encodeInviteCode, parseInviteCode, normalizeRelayUrl, type InviteCode, type InviteHead } from './invite-code.js';
