import { ENDPOINTS, openApiDocument, type RelayInfo } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';
import { route } from '../endpoint-route.js';

export function relayRoutes(app: FastifyInstance, info: RelayInfo): void {
  // Generated once from the same table the routes are registered from.
  const openApi = openApiDocument(ENDPOINTS);
  route(app, ENDPOINTS.relayInfo, async () => info);
  route(app, ENDPOINTS.health, async () => ({ ok: true }));
  route(app, ENDPOINTS.openApi, async () => openApi);
}
