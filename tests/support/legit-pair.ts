import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { decodeServerFrame, ROUTES, WS_SUBPROTOCOL, type ServerFrame } from '@aviso/protocol';
import { call, registerRaw, type RawAccount } from './raw-account.js';

/**
 * Two well-behaved members: `sender` sends 1:1 envelopes over HTTP, `receiver` holds a WebSocket and
 * acknowledges what it gets. Used to show a relay keeps serving its members (during abuse, after
 * fuzzing) and to measure their delivery latency.
 */
export class LegitPair {
  private readonly waiting = new Map<string, () => void>();
  private frames: ServerFrame[] = [];

  private constructor(
    readonly url: string,
    readonly sender: RawAccount,
    readonly receiver: RawAccount,
    private ws: WebSocket,
  ) {}

  static async create(url: string, senderToken: string, receiverToken: string): Promise<LegitPair> {
    const sender = await registerRaw(url, senderToken);
    const receiver = await registerRaw(url, receiverToken);
    const pair = new LegitPair(url, sender, receiver, await openSocket(url, receiver.authorization));
    pair.listen();
    return pair;
  }

  private listen(): void {
    this.ws.on('message', (data: Buffer) => {
      const frame = decodeServerFrame(data.toString('utf8'));
      this.frames.push(frame);
      if (frame.type === 'message.deliver') {
        this.ws.send(JSON.stringify({ type: 'response', id: frame.id, status: 200 }));
        this.waiting.get(frame.envelope.content)?.();
      }
    });
  }

  /** Opens a fresh receiver socket (after the relay cut the old one, or to check upgrades still work). */
  async reconnect(): Promise<void> {
    this.ws.terminate();
    this.ws = await openSocket(this.url, this.receiver.authorization);
    this.listen();
  }

  /** Sends one envelope and resolves with the milliseconds until the receiver had it. */
  async exchange(timeoutMs = 60_000): Promise<number> {
    const content = randomBytes(48).toString('base64');
    const delivered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`envelope not delivered within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(content, () => {
        clearTimeout(timer);
        this.waiting.delete(content);
        resolve();
      });
    });
    const started = performance.now();
    const res = await call(this.url, 'PUT', ROUTES.messages.path(this.receiver.accountId), {
      authorization: this.sender.authorization,
      body: { messages: [{ destinationDeviceId: 1, destinationRegistrationId: this.receiver.registrationId, content }], timestamp: Date.now() },
    });
    if (res.status !== 200) throw new Error(`legit send failed: ${res.status} ${JSON.stringify(res.body)}`);
    await delivered;
    return performance.now() - started;
  }

  /** `n` exchanges one after another; their latencies in ms. */
  async exchanges(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await this.exchange());
    return out;
  }

  close(): void {
    this.ws.terminate();
  }
}

export function openSocket(url: string, authorization: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + ROUTES.websocket, WS_SUBPROTOCOL, { headers: { authorization } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

/** median, p95 and max of latencies, for printing. */
export function summary(ms: readonly number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return `n=${sorted.length} median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms`;
}
