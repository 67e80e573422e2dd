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
} as const;
