import type { EndpointSpec } from '@aviso/protocol';
import type { FastifyInstance, RouteHandlerMethod, RouteShorthandOptions } from 'fastify';

/**
 * Registers one entry of the protocol's endpoint table: its method and path come from the table, and
 * a raw-body entry brings its own body limit. Handlers parse with the entry's schemas, in the order
 * each route checks things (a rate limit or credentials can come before the body).
 */
export function route(app: FastifyInstance, e: EndpointSpec, handler: RouteHandlerMethod, options: RouteShorthandOptions = {}): void {
  app.route({
    ...options,
    method: e.method,
    url: e.path,
    ...(e.rawBody === undefined ? {} : { bodyLimit: e.rawBody.maxBytes }),
    handler,
  });
}
