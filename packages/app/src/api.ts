// The app's only way to the member host: fetch and one WebSocket. The launch token from the URL
// fragment is exchanged once for an HttpOnly session cookie and then forgotten: from there on the
// browser sends the cookie, which no script (ours or injected) can read.
const params = new URLSearchParams(location.hash.slice(1));
export const launchLang = params.get('lang');
history.replaceState(null, '', location.pathname); // the token leaves the address bar and history

/**
 * Settles once the exchange is done. A spent token (a second tab, a reload of a copied link) is not
 * an error here: the cookie this browser already holds answers instead, or the calls say UNAUTHORIZED.
 */
const session: Promise<void> = (async () => {
  const token = params.get('k');
  if (!token) return;
  await fetch('/api/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }), cache: 'no-store', credentials: 'same-origin' }).catch(() => undefined);
})();

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  await session;
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    cache: 'no-store',
  });
  const json = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok || json.error) throw new ApiError(json.error?.code ?? 'INTERNAL', json.error?.message ?? res.statusText);
  return json;
}

/** A relay fingerprint as the host formats it (@aviso/protocol `fingerprintLines`). */
export interface Fingerprint {
  sha256Hex: string;
  lines: string[];
}
export interface Profile {
  profile?: string;
  /** A passphrase-protected profile whose client is closed: the page shows its unlock screen. */
  locked?: boolean;
  /** Whether this profile can lock (has a passphrase and was opened from the unlock screen). */
  lockable?: boolean;
  idleMinutes?: number;
  registered: boolean;
  accountId?: string;
  relayUrl?: string;
  /** The pinned relay's fingerprint (registered profiles). */
  relayFingerprint?: Fingerprint;
  displayName?: string;
}
export interface GroupView {
  id: string;
  title: string;
  status: string;
  role?: string;
  members?: number;
}
/** A group member and the safety number with them (none for yourself, or when their key could not be fetched). */
export interface SafetyView {
  accountId: string;
  displayName?: string;
  role: string;
  you: boolean;
  confusableWith: string[];
  safetyNumber?: string;
  groups?: string[];
  qrSvg?: string;
  verified?: boolean;
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
  mineSent?: boolean;
}

export const api = {
  profile: () => call<Profile>('GET', '/api/profile'),
  groups: () => call<GroupView[]>('GET', '/api/groups'),
  alerts: () => call<AlertView[]>('GET', '/api/alerts'),
  join: (invite: string, displayName: string) => call<{ status: string; group: string; relayFingerprint: Fingerprint }>('POST', '/api/join', { invite, displayName }),
  relayFingerprint: (relayUrl: string) => call<Fingerprint & { relayUrl: string }>('POST', '/api/relay-fingerprint', { relayUrl }),
  // `fingerprint`: the digits the member compared; the host registers only with that trust root.
  register: (relayUrl: string, regToken: string, displayName: string, fingerprint: string) => call('POST', '/api/register', { relayUrl, token: regToken, displayName, fingerprint }),
  send: (input: { groupId: string; kind: string; severity: string; place: string; title: string }) => call<{ id: string }>('POST', '/api/alerts', input),
  ack: (id: string, status: string) => call('POST', `/api/alerts/${id}/ack`, { status }),
  safety: (groupId: string) => call<SafetyView[]>('GET', `/api/groups/${groupId}/safety`),
  setVerified: (accountId: string, verified: boolean) => call<{ verified: boolean }>('POST', `/api/members/${accountId}/verified`, { verified }),
  // The passphrase goes to the host in this one request and is kept nowhere in the page.
  unlock: (passphrase: string) => call<{ type: string }>('POST', '/api/unlock', { passphrase }),
  lock: () => call<{ type: string }>('POST', '/api/lock', {}),
  lockIdle: (minutes: number) => call<{ minutes: number }>('POST', '/api/lock/idle', { minutes }),
  wipe: (confirm: string) => call<{ type: string }>('POST', '/api/wipe', { confirm }),
  verdict: (id: string, verdict: 'confirm' | 'dispute', note: string) => call('POST', `/api/alerts/${id}/${verdict}`, note ? { note } : {}),
};

/** Streams the host's live feed; calls `onEvent` per event and `onState` when the socket opens or drops. */
export function live(onEvent: (e: { type: string } & Record<string, unknown>) => void, onState: (open: boolean) => void): void {
  const connect = (): void => {
    const ws = new WebSocket(`ws://${location.host}/api/live`, ['aviso.app.v1']);
    ws.onopen = () => onState(true);
    ws.onmessage = (m) => onEvent(JSON.parse(String(m.data)) as { type: string });
    ws.onclose = () => {
      onState(false);
      setTimeout(connect, 2000);
    };
  };
  void session.then(connect);
}
