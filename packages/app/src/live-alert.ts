import type { AlertView } from './api.js';

/**
 * The board with a live `alert` event's card in it, newest first, so the card shows the moment the
 * event arrives instead of after a full re-read of the views (issue 13: the app adds at most 100 ms).
 * The event is the host's own alertJson view (packages/agent/src/views/alerts.ts); the refresh that
 * follows replaces it with the full view (this member's own answer, current counts). An alert
 * already on the board is left as it is: the refresh, not a late or repeated event, updates it.
 * The text stays text: cards render it through JSX, never as HTML.
 */
export function withLiveAlert(alerts: AlertView[], event: Record<string, unknown>, me: string | undefined): AlertView[] {
  const id = event['id'];
  if (typeof id !== 'string' || typeof event['title'] !== 'string' || typeof event['sentAt'] !== 'number' || typeof event['expiresAt'] !== 'number') return alerts;
  if (alerts.some((a) => a.id === id)) return alerts;
  const counts = { seen: 0, onMyWay: 0, onScene: 0, cannot: 0, confirmed: 0, disputed: 0 };
  const card = { ...event, acks: { ...counts, ...(event['acks'] as object | undefined) }, mineSent: me !== undefined && event['from'] === me } as unknown as AlertView;
  return [card, ...alerts].sort((a, b) => b.sentAt - a.sentAt);
}
