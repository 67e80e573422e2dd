/** Someone waiting for envelopes of one device (in practice: its live WebSocket connection). */
export type MessageListener = () => void;

/**
 * In-process "new envelope for device X" signal. The messages service notifies after its insert
 * transaction commits; a listener then reads the queue itself, so a notification carries no data.
 */
export class MessageNotifier {
  private readonly listeners = new Map<string, Set<MessageListener>>();

  subscribe(accountId: string, deviceId: number, listener: MessageListener): () => void {
    const key = `${accountId}.${deviceId}`;
    let set = this.listeners.get(key);
    if (set === undefined) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
  }

  notify(accountId: string, deviceId: number): void {
    const set = this.listeners.get(`${accountId}.${deviceId}`);
    if (set === undefined) return;
    for (const listener of [...set]) listener();
  }
}
