// The app's only way to the member host: fetch and one WebSocket, both carrying the launch token
// from the URL fragment (never stored, never in a URL the host sees).
const params = new URLSearchParams(location.hash.slice(1));
const token = params.get('k') ?? '';
export const launchLang = params.get('lang');
history.replaceState(null, '', location.pathname); // the token leaves the address bar and history

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    cache: 'no-store',
  });
  const json = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok || json.error) throw new ApiError(json.error?.code ?? 'INTERNAL', json.error?.message ?? res.statusText);
  return json;
}

export interface Profile {
  registered: boolean;
  accountId?: string;
  displayName?: string;
}
export interface GroupView {
  id: string;
  title: string;
  status: string;
  role?: string;
  members?: number;
}
export interface Counts {
  seen: number;
  onMyWay: number;
  onScene: number;
  cannot: number;
  confirmed: number;
  disputed: number;
}
export interface AlertView {
  id: string;
  groupId: string;
  group: string;
  from: string;
  fromName?: string;
  fromRole?: string;
  kind: string;
  severity: 'info' | 'urgent' | 'critical';
  title: string;
  body?: string;
  place?: string;
  lat?: number;
  lon?: number;
  sentAt: number;
  expiresAt: number;
  retracted: boolean;
  allClear: boolean;
  acks: Counts;
  mine?: string;
}

export const api = {
  profile: () => call<Profile>('GET', '/api/profile'),
  groups: () => call<GroupView[]>('GET', '/api/groups'),
  alerts: () => call<AlertView[]>('GET', '/api/alerts'),
  join: (invite: string, displayName: string) => call<{ status: string; group: string }>('POST', '/api/join', { invite, displayName }),
  register: (relayUrl: string, regToken: string, displayName: string) => call('POST', '/api/register', { relayUrl, token: regToken, displayName }),
  send: (input: { groupId: string; kind: string; severity: string; place: string; title: string }) => call<{ id: string }>('POST', '/api/alerts', input),
  ack: (id: string, status: string) => call('POST', `/api/alerts/${id}/ack`, { status }),
  verdict: (id: string, verdict: 'confirm' | 'dispute', note: string) => call('POST', `/api/alerts/${id}/${verdict}`, note ? { note } : {}),
};

/** Streams the host's live feed; calls `onEvent` per event and `onState` when the socket opens or drops. */
export function live(onEvent: (e: { type: string } & Record<string, unknown>) => void, onState: (open: boolean) => void): void {
  const connect = (): void => {
    const ws = new WebSocket(`ws://${location.host}/api/live`, ['aviso.app.v1', `k.${token}`]);
    ws.onopen = () => onState(true);
    ws.onmessage = (m) => onEvent(JSON.parse(String(m.data)) as { type: string });
    ws.onclose = () => {
      onState(false);
      setTimeout(connect, 2000);
    };
  };
  connect();
}
