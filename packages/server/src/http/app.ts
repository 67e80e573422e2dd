import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { ENDPOINTS, errorBody, LIMITS, PROTOCOL_HEADER, PROTOCOL_VERSION, ProtocolError } from '@aviso/protocol';
import type { AppContext } from '../context.js';
import { toProtocolError } from '../errors.js';
import { childLogger } from '../logger.js';
import { RateLimiter } from '../services/shared/rate-limit.js';
import { attachGateway } from '../ws/gateway.js';
import { accountRoutes } from './routes/accounts.js';
import { certificateRoutes } from './routes/certificates.js';
import { groupSendRoutes } from './routes/group-send.js';
import { groupRoutes } from './routes/groups.js';
import { joinPageRoutes } from './routes/join-page.js';
import { registrationTokenRoutes } from './routes/registration-tokens.js';
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
    // Errors fastify's router raises before any route runs (a path parameter over 100 characters, a
    // malformed percent-encoding) get the typed body too, instead of fastify's own.
    frameworkErrors: (err, _request, reply) => {
      const { error } = toProtocolError(err);
      void (reply as FastifyReply).code(error.status).send(errorBody(error));
    },
    // Against slowloris: headers, then the whole request, must arrive in time. Node checks both on
    // a timer; one second keeps a stalled socket from outliving its deadline by much.
    requestTimeout: ctx.config.requestTimeoutMs,
    http: {
      headersTimeout: ctx.config.headersTimeoutMs,
      requestTimeout: ctx.config.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
  });
  // Past this many open sockets Node closes new ones on accept: a flood cannot exhaust descriptors.
  app.server.maxConnections = ctx.config.maxConnections;
  app.decorateRequest('device', null);

  // A client that names another protocol version gets a typed refusal before it can misread
  // anything (a protocol-1 client would take protocol-2 group changes for forgeries). Relay info and
  // health (and the OpenAPI document) stay open so such a client can still say which version the relay speaks.
  const ours = String(PROTOCOL_VERSION);
  const versionFree = new Set<string>(Object.values(ENDPOINTS).filter((e) => 'versionFree' in e && e.versionFree).map((e) => e.path));
  app.addHook('onRequest', async (request) => {
    const named = request.headers[PROTOCOL_HEADER];
    if (named === undefined || named === ours || versionFree.has(request.routeOptions.url ?? '')) return;
    throw new ProtocolError('UNSUPPORTED_VERSION', `this relay speaks protocol ${ours}, the request names ${String(named).slice(0, 16)}: update the app or the aviso command line`);
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header(PROTOCOL_HEADER, ours);
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
  // Registered when the app gets ready, not here: a caller (the route-table test) can add an
  // onRoute hook first and see every route the relay serves.
  void app.register(async (scope) => {
    relayRoutes(scope, ctx.relayInfo);
    accountRoutes(scope, services.accounts, new RateLimiter(ctx.config.registerRateLimit, ctx.clock, () => ctx.meter.rateLimited('register')));
    keyRoutes(scope, services);
    certificateRoutes(scope, services);
    messageRoutes(scope, services);
    groupRoutes(scope, services);
    registrationTokenRoutes(scope, services);
    groupSendRoutes(scope, services);
    joinPageRoutes(scope);
  });

  const gateway = attachGateway(app.server, {
    accounts: services.accounts,
    messages: services.messages,
    notifier: services.notifier,
    logger: childLogger(ctx.logger, 'aviso:ws'),
    meter: ctx.meter,
    pingIntervalMs: ctx.config.wsPingIntervalMs,
    maxConnections: ctx.config.wsMaxConnections,
    maxBufferedBytes: ctx.config.wsMaxBufferedBytes,
  });
  app.addHook('preClose', async () => gateway.close());
  return app;
}
