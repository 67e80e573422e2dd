import { z } from 'zod';

/**
 * The one error-code table. The relay sends these codes (HTTP body or WebSocket `error` frame) and
 * the SDK branches on them. `status` is the HTTP status; `retryable` tells a client whether the same
 * request may succeed later unchanged. docs/protocol.md documents each code; a test keeps them in step.
 */
export const ERROR_CODES = {
  MALFORMED_FRAME: { status: 400, retryable: false, summary: 'A WebSocket frame is not valid JSON or does not match any frame schema.' },
  BAD_REQUEST: { status: 400, retryable: false, summary: 'An HTTP body, path or query does not match its schema.' },
  UNAUTHORIZED: { status: 401, retryable: false, summary: 'Missing or wrong account credentials.' },
  INVALID_TOKEN: { status: 403, retryable: false, summary: 'The registration token is unknown, expired or used up.' },
  NOT_FOUND: { status: 404, retryable: false, summary: 'No such account, device or route.' },
  MISMATCHED_DEVICES: { status: 409, retryable: false, summary: 'A send did not address exactly the recipient\'s devices; details list missing and extra devices.' },
  STALE_DEVICES: { status: 410, retryable: false, summary: 'A send used an outdated registration id; details list the stale devices.' },
  NOT_A_MEMBER: { status: 403, retryable: false, summary: 'The presentation does not belong to a member of this group (or the member was removed).' },
  FORBIDDEN: { status: 403, retryable: false, summary: 'The member may not make this change (not an admin, or the rule forbids it).' },
  INVITE_INVALID: { status: 410, retryable: false, summary: 'The invite is unknown, revoked, expired, used up, or its password is wrong.' },
  BANNED: { status: 403, retryable: false, summary: 'This member was banned from the group and cannot rejoin through an invite.' },
  GROUP_CHANGE_INVALID: { status: 400, retryable: false, summary: 'A group change does not verify: its signature, invite signature, time or identity proof is wrong or missing.' },
  GROUP_CONFLICT: { status: 409, retryable: true, summary: 'The group moved on (version mismatch) or already exists; fetch the changes and retry.' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, summary: 'A body, frame or envelope exceeds its size limit.' },
  INVALID_SIGNATURE: { status: 422, retryable: false, summary: 'A signed prekey signature does not verify against the identity key.' },
  UNSUPPORTED_VERSION: { status: 426, retryable: false, summary: 'The client does not speak this relay\'s protocol version.' },
  RATE_LIMITED: { status: 429, retryable: true, summary: 'Too many requests; details.retryAfterSeconds says when to retry.' },
  INTERNAL: { status: 500, retryable: true, summary: 'The relay failed; nothing about the cause is sent.' },
  STORAGE_UNAVAILABLE: { status: 503, retryable: true, summary: 'The relay cannot write to its storage (disk full, read-only, I/O error); what it already stores is still served.' },
} as const satisfies Record<string, { status: number; retryable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** An error both sides understand. Thrown by decoders, raised by relay services, mapped onto the wire once. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super(message, options);
    this.code = code;
    this.details = options?.details;
  }
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}

/** The JSON body of every non-2xx HTTP response. */
export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCodeSchema,
    message: z.string(),
    retryable: z.boolean(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export function errorBody(err: ProtocolError): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      retryable: err.retryable,
      ...(err.details === undefined ? {} : { details: err.details }),
    },
  };
}
