import WebSocket from 'ws';
import { decodeServerFrame, ROUTES, WS_SUBPROTOCOL, type ServerFrame } from '@aviso/protocol';

/**
 * A raw client socket that records every frame the relay sends (each must decode as a ServerFrame),
 * acknowledges nothing on its own, and lets a test wait for the answer to a sentinel ping.
 */
export class FrameSession {
  readonly frames: ServerFrame[] = [];
  closeCode: number | undefined;
  private waiter: (() => void) | undefined;
  private readonly problems: string[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      try {
        if (isBinary) throw new Error('binary frame from the relay');
        this.frames.push(decodeServerFrame(data.toString('utf8')));
      } catch (err) {
        this.problems.push(`undecodable server frame: ${String(err)} ${data.toString('utf8').slice(0, 200)}`);
      }
      this.waiter?.();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.waiter?.();
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, authorization: string): Promise<FrameSession> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws') + ROUTES.websocket, WS_SUBPROTOCOL, { headers: { authorization }, maxPayload: 1 << 30 });
      ws.once('open', () => resolve(new FrameSession(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Resolves when `done()` holds (checked on every frame and on close) or rejects after `timeoutMs`. */
  until(done: () => boolean, timeoutMs = 30_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`timed out; frames so far: ${JSON.stringify(this.frames.slice(-5))}, close ${this.closeCode}`));
      }, timeoutMs);
      this.waiter = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
    });
  }

  takeProblems(): string[] {
    return this.problems.splice(0);
  }

  close(): void {
    this.ws.terminate();
  }
}
