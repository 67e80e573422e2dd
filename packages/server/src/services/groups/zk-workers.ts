import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ProtocolError } from '@aviso/protocol';

/**
 * zkgroup work that takes long enough to stall every other member's delivery if it ran on the relay's
 * one event loop: issuing group send endorsements (about 0.1 ms per member, so 2 s for 20,000) and
 * verifying a group send token that is not in the verified cache (about 10 ms per 1,000
 * recipients). It runs in worker threads (docs/architecture.md, "Off the event loop").
 */
export interface ZkWork {
  /** `GroupSendEndorsementsResponse.issue(members, keyPair(expiration))`, serialized. */
  issueEndorsements(memberCiphertexts: readonly Uint8Array[], expirationSeconds: number): Promise<Uint8Array>;
  /** Verifies a serialized full token for exactly `serviceIds` at `nowMs`; resolves with its expiration (ms), rejects if it does not verify. */
  verifyFullToken(token: Uint8Array, serviceIds: readonly string[], nowMs: number): Promise<number>;
  close(): Promise<void>;
}

/** Jobs waiting for a worker, beyond which requests are refused (RATE_LIMITED) instead of queued without end. */
export const ZK_MAX_QUEUED_JOBS = 1024;
/** One worker: endorsements are cached per group version, so the work comes in bursts, not streams. */
export const ZK_WORKERS = 1;

type Job = { op: 'issue'; members: Uint8Array[]; expiration: number } | { op: 'verify'; token: Uint8Array; serviceIds: string[]; now: number };
interface Pending {
  job: Job;
  resolve(value: Uint8Array | number): void;
  reject(err: Error): void;
}

// The worker runs as an eval'd CommonJS script that requires libsignal by its resolved path, so it
// loads the same way from source under tsx, from built JavaScript and inside vitest (a worker file
// path would differ between the three, and tsx's .ts resolution does not reach a worker's entry).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const zk = require(workerData.zkgroup);
const { ServiceId } = require(workerData.libsignal);
const secret = new zk.ServerSecretParams(workerData.serverSecretParams);
const pairs = new Map();
function pairFor(ms) {
  let p = pairs.get(ms);
  if (!p) {
    p = zk.GroupSendDerivedKeyPair.forExpiration(new Date(ms), secret);
    if (pairs.size >= 16) pairs.clear();
    pairs.set(ms, p);
  }
  return p;
}
parentPort.on('message', ({ id, job }) => {
  try {
    if (job.op === 'issue') {
      const members = job.members.map((m) => new zk.UuidCiphertext(m));
      const out = zk.GroupSendEndorsementsResponse.issue(members, pairFor(job.expiration * 1000)).serialize();
      parentPort.postMessage({ id, ok: true, value: out });
    } else {
      const token = new zk.GroupSendFullToken(job.token);
      const expiresAt = token.getExpiration().getTime();
      token.verify(job.serviceIds.map((s) => ServiceId.parseFromServiceIdString(s)), pairFor(expiresAt), new Date(job.now));
      parentPort.postMessage({ id, ok: true, value: expiresAt });
    }
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: String(err && err.message || err) });
  }
});
`;

/** ZkWork in `ZK_WORKERS` worker threads, started on first use and restarted if one dies. */
export class ZkWorkers implements ZkWork {
  readonly #workerData: { zkgroup: string; libsignal: string; serverSecretParams: Uint8Array };
  readonly #idle: Worker[] = [];
  readonly #busy = new Map<Worker, { id: number; pending: Pending }>();
  readonly #queue: Pending[] = [];
  #started = 0;
  #nextId = 1;
  #closed = false;

  constructor(serverSecretParams: Uint8Array) {
    const require = createRequire(import.meta.url);
    this.#workerData = {
      zkgroup: require.resolve('@signalapp/libsignal-client/dist/zkgroup/index.js'),
      libsignal: require.resolve('@signalapp/libsignal-client'),
      serverSecretParams: new Uint8Array(serverSecretParams),
    };
  }

  issueEndorsements(memberCiphertexts: readonly Uint8Array[], expirationSeconds: number): Promise<Uint8Array> {
    return this.#run({ op: 'issue', members: memberCiphertexts.map((m) => new Uint8Array(m)), expiration: expirationSeconds }) as Promise<Uint8Array>;
  }

  verifyFullToken(token: Uint8Array, serviceIds: readonly string[], nowMs: number): Promise<number> {
    return this.#run({ op: 'verify', token: new Uint8Array(token), serviceIds: [...serviceIds], now: nowMs }) as Promise<number>;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#queue.splice(0)) p.reject(new Error('the relay is stopping'));
    const all = [...this.#idle, ...this.#busy.keys()];
    this.#idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }

  #run(job: Job): Promise<Uint8Array | number> {
    if (this.#closed) return Promise.reject(new Error('the relay is stopping'));
    if (this.#queue.length >= ZK_MAX_QUEUED_JOBS) {
      return Promise.reject(new ProtocolError('RATE_LIMITED', 'the relay is busy with group credentials', { details: { retryAfterSeconds: 1 } }));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const worker = this.#idle.pop() ?? (this.#started < ZK_WORKERS ? this.#spawn() : undefined);
      if (!worker) return;
      const pending = this.#queue.shift()!;
      const id = this.#nextId++;
      this.#busy.set(worker, { id, pending });
      worker.ref(); // a job in flight keeps the process alive; an idle worker does not
      worker.postMessage({ id, job: pending.job });
    }
  }

  #spawn(): Worker {
    this.#started++;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: this.#workerData });
    worker.on('message', (m: { id: number; ok: boolean; value?: Uint8Array | number; error?: string }) => {
      const current = this.#busy.get(worker);
      if (!current || current.id !== m.id) return;
      this.#busy.delete(worker);
      worker.unref();
      if (m.ok) current.pending.resolve(m.value!);
      else current.pending.reject(new Error(m.error ?? 'zkgroup work failed'));
      this.#idle.push(worker);
      this.#pump();
    });
    // A worker that dies (out of memory, a native fault) fails only its own job; the next job starts a new one.
    let gone = false;
    const lost = (err: Error): void => {
      if (gone) return; // 'error' is followed by 'exit'
      gone = true;
      const current = this.#busy.get(worker);
      this.#busy.delete(worker);
      const i = this.#idle.indexOf(worker);
      if (i >= 0) this.#idle.splice(i, 1);
      if (this.#started > 0) this.#started--;
      current?.pending.reject(err);
      if (!this.#closed) this.#pump();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`zkgroup worker exited with code ${code}`)));
    worker.unref();
    return worker;
  }
}
