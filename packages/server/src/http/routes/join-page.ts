import { ENDPOINTS, JoinPageQuery } from '@aviso/protocol';
import { LANGS, type Lang } from '@aviso/i18n';
import type { FastifyInstance } from 'fastify';
import { route } from '../endpoint-route.js';
import { JOIN_PAGE_HEADERS, joinPageLang, renderJoinPage } from '../pages/join-page.js';

/** GET /join: the static page an invite link opens (pages/join-page.ts says what it must never do). */
export function joinPageRoutes(app: FastifyInstance): void {
  const pages = new Map<Lang, string>(LANGS.map((l) => [l, renderJoinPage(l)]));
  route(app, ENDPOINTS.joinPage, async (request, reply) => {
    const query = JoinPageQuery.safeParse(request.query);
    const lang = joinPageLang(query.success ? query.data.lang : undefined, request.headers['accept-language']);
    return reply.headers({ ...JOIN_PAGE_HEADERS, 'Content-Language': lang }).send(pages.get(lang));
  });
}
