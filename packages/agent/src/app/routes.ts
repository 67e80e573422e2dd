import { AgentError } from '../errors.js';
import type { AppApi, Body } from './api.js';
import type { MemberApi } from './member-api.js';
import type { OrganiserApi } from './organiser-api.js';

/** The parts of the app's API a route calls into. */
export interface Apis {
  app: AppApi;
  organiser: OrganiserApi;
  member: MemberApi;
}

interface Route {
  method: 'GET' | 'POST';
  /** Anchored; its groups are the path's parameters, each already constrained to its id format. */
  path: RegExp;
  run(apis: Apis, params: string[], body: Body): Promise<unknown> | unknown;
}

const GROUP = '([0-9a-f]{64})';
const ALERT = '([0-9a-f-]{36})';
const ACCOUNT = '([0-9a-f-]{36})';
const at = (pattern: string): RegExp => new RegExp(`^/api/${pattern}$`);

/** Every /api route (docs/app.md "The local API"). Auth, Host and Origin are checked before a route runs. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: at('profile'), run: ({ app }) => app.profileJson() },
  { method: 'GET', path: at('groups'), run: ({ app }) => app.groups() },
  { method: 'GET', path: at('alerts'), run: ({ app }) => app.alerts() },
  { method: 'GET', path: at('contacts'), run: ({ organiser }) => organiser.contacts() },
  { method: 'GET', path: at(`groups/${GROUP}`), run: ({ organiser }, [g]) => organiser.group(g!) },
  { method: 'GET', path: at(`alerts/${ALERT}/rollcall`), run: ({ organiser }, [a]) => organiser.rollCall(a!) },
  { method: 'GET', path: at(`groups/${GROUP}/safety`), run: ({ member }, [g]) => member.safetyNumbers(g!) },
  { method: 'POST', path: at('relay-fingerprint'), run: ({ app }, _, body) => app.relayFingerprint(body) },
  { method: 'POST', path: at('register'), run: ({ app }, _, body) => app.register(body) },
  { method: 'POST', path: at('join'), run: ({ app }, _, body) => app.join(body) },
  { method: 'POST', path: at('alerts'), run: ({ app }, _, body) => app.sendAlert(body) },
  { method: 'POST', path: at(`members/${ACCOUNT}/verified`), run: ({ member }, [m], body) => member.setVerified(m!, body) },
  { method: 'POST', path: at(`alerts/${ALERT}/ack`), run: ({ app }, [a], body) => app.ack(a!, body) },
  { method: 'POST', path: at(`alerts/${ALERT}/confirm`), run: ({ app }, [a], body) => app.verdict(a!, 'confirm', body) },
  { method: 'POST', path: at(`alerts/${ALERT}/dispute`), run: ({ app }, [a], body) => app.verdict(a!, 'dispute', body) },
  { method: 'POST', path: at(`alerts/${ALERT}/retract`), run: ({ organiser }, [a], body) => organiser.retract(a!, body) },
  { method: 'POST', path: at(`alerts/${ALERT}/all-clear`), run: ({ organiser }, [a]) => organiser.allClear(a!) },
  { method: 'POST', path: at('groups'), run: ({ organiser }, _, body) => organiser.createGroup(body) },
  { method: 'POST', path: at(`groups/${GROUP}/invites`), run: ({ organiser }, [g], body) => organiser.createInvite(g!, body) },
  { method: 'POST', path: at(`groups/${GROUP}/revoke`), run: ({ organiser }, [g], body) => organiser.revokeInvite(g!, body) },
  { method: 'POST', path: at(`groups/${GROUP}/approve`), run: ({ organiser }, [g], body) => organiser.decide(g!, 'approve', body) },
  { method: 'POST', path: at(`groups/${GROUP}/deny`), run: ({ organiser }, [g], body) => organiser.decide(g!, 'deny', body) },
  { method: 'POST', path: at(`groups/${GROUP}/remove`), run: ({ organiser }, [g], body) => organiser.remove(g!, body) },
  { method: 'POST', path: at(`groups/${GROUP}/role`), run: ({ organiser }, [g], body) => organiser.setRole(g!, body) },
  { method: 'POST', path: at(`groups/${GROUP}/settings`), run: ({ organiser }, [g], body) => organiser.settings(g!, body) },
];

/** The route for a method and path, with its parameters; NOT_FOUND when there is none. */
export function findRoute(method: 'GET' | 'POST', path: string): { route: Route; params: string[] } {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.path.exec(path);
    if (m) return { route, params: m.slice(1) };
  }
  throw new AgentError('NOT_FOUND', 'no such route');
}
