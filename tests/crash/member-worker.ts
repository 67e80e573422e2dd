// A member's device as its own process, for crash tests: `node --conditions=@aviso/source --import tsx
// tests/crash/member-worker.ts <dataDir> <groupId>` opens the SDK on an existing (registered, joined) SQLite
// store, connects, and reports on stdout, one JSON object per line:
//   {"t":"ready"}                     connect() resolved: the relay's backlog is processed
//   {"t":"alert","title":…}           the application was handed an alert (after the SDK committed it)
//   {"t":"progress","done":…,"pending":…,"complete":bool}   a drain-progress event (reported after every run)
//   {"t":"rejected","reason":…}       an envelope was refused
//   {"t":"error","message":…,"transient":bool}
//   {"t":"dump","alerts":[…]}         answer to "dump" on stdin: the titles in the durable store, then exit 0
// The parent kills it with SIGKILL at any moment; every line written before the kill is complete
// (one write per line, under PIPE_BUF).
import { createInterface } from 'node:readline';
import { AvisoClient, RelayRequestError } from '@aviso/client';

const [dataDir, groupId] = process.argv.slice(2);
if (dataDir === undefined || groupId === undefined) throw new Error('usage: member-worker.ts <dataDir> <groupId>');

const report = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

const client = await AvisoClient.open({
  dataDir,
  connection: { backoff: { initialMs: 50, maxMs: 500 }, keepalive: { intervalMs: 1_000, timeoutMs: 3_000 } },
  requestTimeoutMs: 5_000,
  groupSyncIntervalMs: 0,
  drainProgressMs: 0,
});
client.on('drain-progress', (p) => report({ t: 'progress', ...p }));
client.on('alert', (a) => report({ t: 'alert', title: a.title }));
client.on('rejected', (r) => report({ t: 'rejected', reason: r.reason, message: r.error.message }));
client.on('error', (e) => report({ t: 'error', message: `${e.name}: ${e.message}`, transient: e instanceof RelayRequestError && e.retryable }));

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'dump') return;
  void (async () => {
    const group = client.group(groupId);
    if (!group) throw new Error('the store does not know the group');
    const alerts = await group.alerts(); // the local store only, no network
    report({ t: 'dump', alerts: alerts.filter((a) => a.from !== client.accountId).map((a) => a.title) });
    await client.close();
    process.exit(0);
  })();
});

await client.connect();
report({ t: 'ready' });
