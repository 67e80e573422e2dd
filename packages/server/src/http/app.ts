import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { errorBody, LIMITS, PROTOCOL_HEADER, PROTOCOL_VERSION, ProtocolError } from '@aviso/protocol';
import type { AppContext } from '../context.js';
import { toProtocolError } from '../errors.js';
import { childLogger } from '../logger.js';
import { attachGateway } from '../ws/gateway.js';
import { accountRoutes } from './routes/accounts.js';
import { certificateRoutes } from './routes/certificates.js';
import { groupSendRoutes } from './routes/group-send.js';
import { groupRoutes } from './routes/groups.js';
import { keyRoutes } from './routes/keys.js';
import { messageRoutes } from './routes/messages.js';
import { relayRoutes } from './routes/relay.js';

/**
 * The relay's HTTP app and WebSocket gateway on one server. Never listens: `startServer` does, and
 * tests call `app.inject()`. Closing the app closes live sockets with 1001 first.
 */
export function buildApp(ctx: AppContext): FastifyInstance {
  const log = childLogger(ctx.logger, 'aviso:http');
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger, // a pino Logger; fastify's type is the narrower interface
    // Fastify's request logs carry the client address; ours below carry method, route pattern and status only.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: LIMITS.maxBodyBytes,
  });
  app.decorateRequest('device', null);

  app.addHook('onSend', async (_request, reply) => {
    reply.header(PROTOCOL_HEADER, String(PROTOCOL_VERSION));
  });
  app.addHook('onResponse', async (request, reply) => {
    log.debug(
      { method: request.method, route: request.routeOptions.url ?? null, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  app.setErrorHandler(async (err, request, reply) => {
    const { error, internal } = toProtocolError(err);
    if (internal) log.error({ err, method: request.method, route: request.routeOptions.url ?? null }, 'request failed');
    return reply.code(error.status).send(errorBody(error));
  });
  app.setNotFoundHandler(async (_request, reply) =>
    reply.code(404).send(errorBody(new ProtocolError('NOT_FOUND', 'no such route'))),
  );

  const { services } = ctx;
  relayRoutes(app, ctx.relayInfo);
  accountRoutes(app, services.accounts);
  keyRoutes(app, services);
  certificateRoutes(app, services);
  messageRoutes(app, services);
  groupRoutes(app, services);
  groupSendRoutes(app, services);

  const gateway = attachGateway(app.server, {
    accounts: services.accounts,
    messages: services.messages,
    notifier: services.notifier,
    logger: childLogger(ctx.logger, 'aviso:ws'),
    pingIntervalMs: ctx.config.wsPingIntervalMs,
  });
  app.addHook('preClose', async () => gateway.close());
  return app;
}
