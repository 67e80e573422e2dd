import { ENDPOINTS, GROUP_SEND, parseWith, ProtocolError } from '@aviso/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GroupSendService } from '../../services/groups/group-send.js';
import { route } from '../endpoint-route.js';

/**
 * `PUT /v1/messages/multi_recipient?ts=<ms>`: a group send, the raw SentMessage as the body. It carries
 * no account credentials, only the `aviso-group-send-token` header; nothing about it is logged beyond
 * the route pattern and status (app.ts) and counts (the service).
 */
export function groupSendRoutes(app: FastifyInstance, deps: { groupSend: GroupSendService }): void {
  // Raw bytes. The parser keeps the global body limit; only the multi-recipient route raises it.
  app.addContentTypeParser(ENDPOINTS.multiRecipient.rawBody.contentType, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const e = ENDPOINTS.multiRecipient;
  route(
    app,
    e,
    async (request) => {
      parseWith(e.query, request.query);
      if (!Buffer.isBuffer(request.body) || request.body.length === 0) throw new ProtocolError('BAD_REQUEST', 'missing body');
      // A view, not a copy: the body is this request's own buffer, and up to 4 MiB.
      const body = request.body;
      return deps.groupSend.send(tokenHeader(request), new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength));
    },
    {
      // Before the body is read: a wrong request is refused without buffering 4 MiB.
      onRequest: async (request) => {
        if (request.headers.authorization !== undefined) {
          throw new ProtocolError('BAD_REQUEST', 'group sends carry no account credentials');
        }
        if (mediaType(request) !== e.rawBody.contentType) {
          throw new ProtocolError('BAD_REQUEST', `the body must be ${e.rawBody.contentType}`);
        }
      },
    },
  );
}

/** The raw `aviso-group-send-token` header, if any. */
export function tokenHeader(request: FastifyRequest): string | undefined {
  const v = request.headers[GROUP_SEND.tokenHeader];
  return typeof v === 'string' ? v : undefined;
}

function mediaType(request: FastifyRequest): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
}
