import { WebSocketServer } from 'ws';

/**
 * The memory bench's baseline: a bare `ws` server in a process of its own holding idle sockets (no
 * authentication, no per-device state), so its RSS per connection can be read from /proc next to the
 * relay's. Forked with --expose-gc; IPC: it sends { port } once listening, answers 'gc' with 'gc-done'.
 */
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (ws) => ws.on('message', () => undefined));
wss.once('listening', () => {
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected pipe address');
  process.send?.({ port: address.port });
});
process.on('message', (msg: string) => {
  if (msg === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.('gc-done');
  } else if (msg === 'close') {
    for (const ws of wss.clients) ws.terminate();
    wss.close(() => process.disconnect());
  }
});
