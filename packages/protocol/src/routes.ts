/**
 * HTTP routes, written once. `pattern` is what the relay registers; the builders are what clients call.
 * Authenticated routes take `Authorization: Basic base64("{accountId}.{deviceId}:{password}")`.
 */
export const ROUTES = {
  relayInfo: '/v1/relay',
  health: '/health',
  accounts: '/v1/accounts',
  keys: '/v1/keys',
  keyBundle: { pattern: '/v1/keys/:accountId/:deviceId', path: (accountId: string, deviceId: number | '*') => `/v1/keys/${accountId}/${deviceId}` },
  senderCertificate: '/v1/certificate/delivery',
  messages: { pattern: '/v1/messages/:accountId', path: (accountId: string) => `/v1/messages/${accountId}` },
  websocket: '/v1/websocket',
  authCredentials: '/v1/certificate/auth/group',
  multiRecipient: '/v1/messages/multi_recipient',
  groupEndorsements: { pattern: '/v1/groups/:groupId/endorsements', path: (groupId: string) => `/v1/groups/${groupId}/endorsements` },
  registrationTokens: '/v1/registration-tokens',
  registrationTokenRevoke: '/v1/registration-tokens/revoke',
  group: { pattern: '/v1/groups/:groupId', path: (groupId: string) => `/v1/groups/${groupId}` },
  groupChanges: { pattern: '/v1/groups/:groupId/changes', path: (groupId: string) => `/v1/groups/${groupId}/changes` },
  groupJoinInfo: {
    pattern: '/v1/groups/:groupId/join/:inviteId',
    /** `inviteId` is base64; it travels base64url in the path. */
    path: (groupId: string, inviteId: string) => `/v1/groups/${groupId}/join/${inviteId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`,
  },
} as const;
