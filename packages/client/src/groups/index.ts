export { Group, type GroupInvite, type GroupMember, type PendingMember } from './group.js';
export { GroupService, type CreateGroupInput, type CreateInviteInput } from './group-service.js';
export { encodeInviteCode, parseInviteCode, normalizeRelayUrl, type InviteCode } from './invite-code.js';
