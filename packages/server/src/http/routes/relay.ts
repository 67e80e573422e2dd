import { ROUTES, type RelayInfo } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';

export function relayRoutes(app: FastifyInstance, info: RelayInfo): void {
  app.get(ROUTES.relayInfo, async () => info);
  app.get(ROUTES.health, async () => ({ ok: true }));
}
