import { parseWith, RegisterRequest, ROUTES } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';
import type { AccountsService } from '../../services/accounts.js';

export function accountRoutes(app: FastifyInstance, accounts: AccountsService): void {
  app.post(ROUTES.accounts, async (request) => accounts.register(parseWith(RegisterRequest, request.body)));
}
