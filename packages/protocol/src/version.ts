/**
 * The wire protocol version. It changes only on a breaking change; additive changes (new optional
 * fields, new frame types a peer may ignore) keep the number. Every HTTP request and response carries
 * it in the `aviso-protocol` header, and the WebSocket negotiates it as the subprotocol `aviso.v2`.
 * The `/v1` prefix of the HTTP paths is the paths' own version: they did not change in 2.
 *
 * History: 2 made group changes verifiable by the relay (docs/groups.md "The change log").
 */
export const PROTOCOL_VERSION = 2 as const;

/** WebSocket subprotocol a client must offer; the relay answers 426 UNSUPPORTED_VERSION otherwise. */
export const WS_SUBPROTOCOL = `aviso.v${PROTOCOL_VERSION}` as const;

/**
 * Prefix of the `Sec-WebSocket-Protocol` entry that carries account credentials where a client
 * cannot set an `Authorization` header (browsers): `aviso.auth.` + unpadded base64url of the UTF-8
 * of `{accountId}.{deviceId}:{password}`, offered next to `aviso.v2`. The relay never selects it.
 */
export const WS_AUTH_SUBPROTOCOL_PREFIX = 'aviso.auth.' as const;

/** Header that carries the protocol version on HTTP requests and responses; the relay refuses a request that names another (426). */
export const PROTOCOL_HEADER = 'aviso-protocol' as const;
