/**
 * The wire protocol version. It changes only on a breaking change; additive changes (new optional
 * fields, new frame types a peer may ignore) keep the number. HTTP routes carry it as the `/v1`
 * prefix and the WebSocket negotiates it as the subprotocol `aviso.v1`.
 */
export const PROTOCOL_VERSION = 1 as const;

/** WebSocket subprotocol a client must offer; the relay answers 426 UNSUPPORTED_VERSION otherwise. */
export const WS_SUBPROTOCOL = `aviso.v${PROTOCOL_VERSION}` as const;

/** Header that carries the protocol version on HTTP requests and responses (informational). */
export const PROTOCOL_HEADER = 'aviso-protocol' as const;
