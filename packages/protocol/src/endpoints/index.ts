import { z } from 'zod';
import { LIMITS } from '../limits.js';
import { RegisterRequest, RegisterResponse } from '../api/accounts.js';
import { SenderCertificateResponse } from '../api/certificates.js';
import { EndorsementsResponse, GROUP_SEND, MultiRecipientQuery, MultiRecipientResponse } from '../api/group-send.js';
import { PreKeyBatchRequest, PreKeyBatchResponse, PreKeyBundleParams, PreKeyBundleResponse, PreKeyCount, SetKeysRequest } from '../api/keys.js';
import { SendBatchRequest, SendBatchResponse, SendMessagesParams, SendMessagesRequest, SendMessagesResponse } from '../api/messages.js';
import { RevokeTokenRequest, RevokeTokenResponse } from '../api/registration-tokens.js';
import { RelayInfo } from '../api/relay-info.js';
import {
  AppendChangeRequest,
  AppendChangeResponse,
  AuthCredentialsQuery,
  AuthCredentialsResponse,
  ChangesQuery,
  ChangesResponse,
  CheckpointQuery,
  CheckpointResponse,
  CreateGroupRequest,
  GroupId,
  JoinInfoResponse,
  MintTokenRequest,
  MintTokenResponse,
} from '../groups/schemas.js';
import { defineEndpoint, type EndpointSpec } from './define.js';

export * from './define.js';
export * from './openapi.js';

/** Path parameters of every `/v1/groups/:groupId…` route. */
export const GroupParams = z.object({ groupId: GroupId });
/**
 * Join-info path parameters: the invite id is 16 bytes as unpadded base64url (22 characters). The
 * relay normalises it to the padded base64 the group log uses.
 */
export const JoinInfoParams = z.object({
  groupId: GroupId,
  inviteId: z.string().regex(/^[A-Za-z0-9_-]{22}={0,2}$/, 'an invite id is 16 bytes of base64url'),
});
export const HealthResponse = z.object({ ok: z.literal(true) });
/** The generated OpenAPI 3.1 document; its shape is OpenAPI's, checked by a validator in the relay's tests. */
export const OpenApiResponse = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) });
/**
 * The join page's query: `lang` picks its language (`es` or `en`); anything else, or none, falls back
 * to Accept-Language. Never an error: a person following a link gets a page, not a JSON refusal.
 */
export const JoinPageQuery = z.object({ lang: z.string().max(16).optional() });
export const JoinPageResponse = z.string();
/** A 204 has no body. */
export const NoContentResponse = z.undefined();

/**
 * Every HTTP route of the relay, written once (atproto's lexicons are the model). The relay registers
 * its routes from this table, the SDK calls through it, and `GET /v1/openapi.json` is generated from it.
 */
export const ENDPOINTS = {
  health: defineEndpoint({
    method: 'GET', path: '/health', summary: 'Liveness: the relay answers.',
    status: 200, response: HealthResponse, auth: [['none']], errors: [], versionFree: true,
  }),
  relayInfo: defineEndpoint({
    method: 'GET', path: '/v1/relay', summary: "The relay's public parameters; clients pin the trust root on first contact.",
    status: 200, response: RelayInfo, auth: [['none']], errors: [], versionFree: true,
  }),
  openApi: defineEndpoint({
    method: 'GET', path: '/v1/openapi.json', summary: 'This table as an OpenAPI 3.1 document.',
    status: 200, response: OpenApiResponse, auth: [['none']], errors: [], versionFree: true,
  }),
  joinPage: defineEndpoint({
    method: 'GET', path: '/join', summary: "The page an invite link opens in a browser: how to join with the app or the CLI (English, Spanish). The invite stays in the URL fragment, which the relay never receives; the page has no script.",
    query: JoinPageQuery, status: 200, response: JoinPageResponse, auth: [['none']], errors: [], versionFree: true, html: true,
  }),
  register: defineEndpoint({
    method: 'POST', path: '/v1/accounts', summary: 'Registers an account with a registration token; the relay assigns the account id.',
    body: RegisterRequest, status: 200, response: RegisterResponse,
    auth: [['registrationToken']], errors: ['RATE_LIMITED', 'INVALID_TOKEN', 'INVALID_SIGNATURE'],
  }),
  setKeys: defineEndpoint({
    method: 'PUT', path: '/v1/keys', summary: "Uploads prekeys for the authenticated device; every signature must verify.",
    body: SetKeysRequest, status: 204, response: NoContentResponse, auth: [['account']], errors: ['UNAUTHORIZED', 'INVALID_SIGNATURE'],
  }),
  preKeyCount: defineEndpoint({
    method: 'GET', path: '/v1/keys', summary: 'How many one-time prekeys the relay still holds for the authenticated device.',
    status: 200, response: PreKeyCount, auth: [['account']], errors: ['UNAUTHORIZED'],
  }),
  keyBundle: defineEndpoint({
    method: 'GET', path: '/v1/keys/:accountId/:deviceId', summary: "A device's prekey bundle (`*`: every device); with a group send token, for exactly that account.",
    params: PreKeyBundleParams, status: 200, response: PreKeyBundleResponse,
    auth: [['account'], ['groupSendToken']], errors: ['UNAUTHORIZED', 'NOT_FOUND', 'RATE_LIMITED'],
  }),
  keyBundleBatch: defineEndpoint({
    method: 'POST', path: '/v1/keys/batch', summary: `Every device's prekey bundle of each listed account (at most ${LIMITS.maxKeyBatchAccounts}), with one group send token for exactly that set.`,
    body: PreKeyBatchRequest, status: 200, response: PreKeyBatchResponse,
    auth: [['groupSendToken']], errors: ['UNAUTHORIZED', 'RATE_LIMITED'],
  }),
  senderCertificate: defineEndpoint({
    method: 'GET', path: '/v1/certificate/delivery', summary: 'A sender certificate for the authenticated device.',
    status: 200, response: SenderCertificateResponse, auth: [['account']], errors: ['UNAUTHORIZED'],
  }),
  authCredentials: defineEndpoint({
    method: 'GET', path: '/v1/certificate/auth/group', summary: 'zkgroup auth credentials for day-aligned redemption times (at most 7 days).',
    query: AuthCredentialsQuery, status: 200, response: AuthCredentialsResponse, auth: [['account']], errors: ['UNAUTHORIZED'],
  }),
  sendMessages: defineEndpoint({
    method: 'PUT', path: '/v1/messages/:accountId', summary: 'One sealed-sender ciphertext for every device of the recipient.',
    params: SendMessagesParams, body: SendMessagesRequest, status: 200, response: SendMessagesResponse,
    auth: [['account']], errors: ['UNAUTHORIZED', 'NOT_FOUND', 'MISMATCHED_DEVICES', 'STALE_DEVICES'],
  }),
  sendMessagesBatch: defineEndpoint({
    method: 'POST', path: '/v1/messages/batch', summary: `Several 1:1 sends in one request (at most ${LIMITS.maxSendBatchDestinations} recipients), each checked and stored as its own PUT would be; one result each.`,
    body: SendBatchRequest, status: 200, response: SendBatchResponse,
    auth: [['account']], errors: ['UNAUTHORIZED'],
  }),
  multiRecipient: defineEndpoint({
    method: 'PUT', path: '/v1/messages/multi_recipient', summary: 'A group send: the raw sealed sender v2 SentMessage, authorised by a group send token only.',
    query: MultiRecipientQuery, rawBody: { contentType: GROUP_SEND.contentType, maxBytes: LIMITS.maxMultiRecipientBytes },
    status: 200, response: MultiRecipientResponse,
    auth: [['groupSendToken']], errors: ['UNAUTHORIZED', 'NOT_FOUND', 'MISMATCHED_DEVICES', 'STALE_DEVICES', 'RATE_LIMITED'],
  }),
  createGroup: defineEndpoint({
    method: 'PUT', path: '/v1/groups/:groupId', summary: 'Creates a group with its version-0 change.',
    params: GroupParams, body: CreateGroupRequest, status: 200, response: AppendChangeResponse,
    auth: [['groupPresentation']], errors: ['UNAUTHORIZED', 'FORBIDDEN', 'GROUP_CONFLICT', 'GROUP_CHANGE_INVALID'],
  }),
  groupChanges: defineEndpoint({
    method: 'GET', path: '/v1/groups/:groupId/changes', summary: 'Reads the group log, for current and pending members.',
    params: GroupParams, query: ChangesQuery, status: 200, response: ChangesResponse,
    auth: [['groupPresentation']], errors: ['UNAUTHORIZED', 'NOT_FOUND', 'NOT_A_MEMBER', 'BANNED'],
  }),
  groupCheckpoint: defineEndpoint({
    method: 'GET', path: '/v1/groups/:groupId/checkpoint', summary: 'The newest checkpoint at or before a version, with its snapshot, for current and pending members.',
    params: GroupParams, query: CheckpointQuery, status: 200, response: CheckpointResponse,
    auth: [['groupPresentation']], errors: ['UNAUTHORIZED', 'NOT_FOUND', 'NOT_A_MEMBER', 'BANNED'],
  }),
  appendChange: defineEndpoint({
    method: 'POST', path: '/v1/groups/:groupId/changes', summary: 'Appends one change (version = current + 1); a join also carries the invite password.',
    params: GroupParams, body: AppendChangeRequest, status: 200, response: AppendChangeResponse,
    auth: [['groupPresentation'], ['groupPresentation', 'invitePassword']],
    errors: ['UNAUTHORIZED', 'NOT_FOUND', 'NOT_A_MEMBER', 'BANNED', 'FORBIDDEN', 'GROUP_CONFLICT', 'GROUP_CHANGE_INVALID', 'INVITE_INVALID'],
  }),
  joinInfo: defineEndpoint({
    method: 'GET', path: '/v1/groups/:groupId/join/:inviteId', summary: 'What a holder of a valid invite sees before joining.',
    params: JoinInfoParams, status: 200, response: JoinInfoResponse,
    auth: [['invitePassword'], ['invitePassword', 'groupPresentation']], errors: ['UNAUTHORIZED', 'NOT_FOUND', 'INVITE_INVALID', 'BANNED'],
  }),
  endorsements: defineEndpoint({
    method: 'GET', path: '/v1/groups/:groupId/endorsements', summary: "Today's group send endorsements for the members.",
    params: GroupParams, status: 200, response: EndorsementsResponse, auth: [['groupPresentation']], errors: ['UNAUTHORIZED', 'NOT_FOUND', 'NOT_A_MEMBER'],
  }),
  mintRegistrationToken: defineEndpoint({
    method: 'POST', path: '/v1/registration-tokens', summary: 'A member mints a registration token to put inside an invite code.',
    body: MintTokenRequest, status: 200, response: MintTokenResponse, auth: [['account']], errors: ['UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED'],
  }),
  revokeRegistrationToken: defineEndpoint({
    method: 'POST', path: '/v1/registration-tokens/revoke', summary: 'Revokes a registration token its holder no longer wants honoured.',
    body: RevokeTokenRequest, status: 200, response: RevokeTokenResponse, auth: [['account']], errors: ['UNAUTHORIZED'],
  }),
} as const satisfies Record<string, EndpointSpec>;

export type EndpointName = keyof typeof ENDPOINTS;
export type Endpoint = (typeof ENDPOINTS)[EndpointName];

/** The WebSocket upgrade is not an HTTP route of the table: the gateway answers it before fastify does. */
export const WEBSOCKET_PATH = '/v1/websocket';

/** `inviteId` is base64; it travels base64url, unpadded, in the join-info path. */
export function inviteIdPathSegment(inviteId: string): string {
  return inviteId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The paths of the table under the names they had before it (kept so callers need not change at
 * once). `pattern` is what the relay registers; the builders are what clients call.
 * Authenticated routes take `Authorization: Basic base64("{accountId}.{deviceId}:{password}")`.
 */
export const ROUTES = {
  relayInfo: ENDPOINTS.relayInfo.path,
  health: ENDPOINTS.health.path,
  openApi: ENDPOINTS.openApi.path,
  accounts: ENDPOINTS.register.path,
  keys: ENDPOINTS.setKeys.path,
  keyBundle: { pattern: ENDPOINTS.keyBundle.path, path: (accountId: string, deviceId: number | '*') => `/v1/keys/${accountId}/${deviceId}` },
  keyBundleBatch: ENDPOINTS.keyBundleBatch.path,
  senderCertificate: ENDPOINTS.senderCertificate.path,
  messages: { pattern: ENDPOINTS.sendMessages.path, path: (accountId: string) => `/v1/messages/${accountId}` },
  websocket: WEBSOCKET_PATH,
  authCredentials: ENDPOINTS.authCredentials.path,
  multiRecipient: ENDPOINTS.multiRecipient.path,
  messagesBatch: ENDPOINTS.sendMessagesBatch.path,
  groupEndorsements: { pattern: ENDPOINTS.endorsements.path, path: (groupId: string) => `/v1/groups/${groupId}/endorsements` },
  registrationTokens: ENDPOINTS.mintRegistrationToken.path,
  registrationTokenRevoke: ENDPOINTS.revokeRegistrationToken.path,
  group: { pattern: ENDPOINTS.createGroup.path, path: (groupId: string) => `/v1/groups/${groupId}` },
  groupChanges: { pattern: ENDPOINTS.groupChanges.path, path: (groupId: string) => `/v1/groups/${groupId}/changes` },
  groupCheckpoint: { pattern: ENDPOINTS.groupCheckpoint.path, path: (groupId: string) => `/v1/groups/${groupId}/checkpoint` },
  groupJoinInfo: {
    pattern: ENDPOINTS.joinInfo.path,
    path: (groupId: string, inviteId: string) => `/v1/groups/${groupId}/join/${inviteIdPathSegment(inviteId)}`,
  },
} as const;

