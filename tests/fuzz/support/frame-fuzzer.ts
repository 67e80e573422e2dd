import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { CLOSE_CODES, decodeClientFrame, LIMITS, PING, ROUTES } from '@aviso/protocol';
import type { Party } from '../../../packages/server/test/group-send-helpers.js';
import type { InputCounter } from './checks.js';
import { FrameSession } from './frame-session.js';
import { isValidFrame, type FrameInput } from './frames.js';
import type { FuzzRelay } from './fuzz-relay.js';

/** The gateway's default number of malformed frames before it closes with 1008. */
const MAX_MALFORMED = 10;

/**
 * Plays fuzzed frame batches on alice's socket and checks each answer against the protocol decoder
 * (the oracle): one `error` frame per invalid frame, a `pong` per valid ping, nothing that does not
 * decode, the socket open, or closed with the documented code (1008 after too many malformed
 * frames, 1009 for an oversized one), after which the next batch reconnects.
 */
export class FrameFuzzer {
  private session: FrameSession | undefined;
  private malformedOnSession = 0;
  private sentinel = 2 ** 31 - 1;
  private readonly alice: Party;
  private readonly bob: Party;

  constructor(
    private readonly relay: FuzzRelay,
    private readonly counter: InputCounter,
  ) {
    [this.alice, this.bob] = relay.parties as [Party, Party];
  }

  /** Bob stores one envelope for alice, so deliveries interleave with the fuzzed frames. */
  private async enqueue(): Promise<void> {
    const res = await this.relay.app.inject({
      method: 'PUT',
      url: ROUTES.messages.path(this.alice.user.accountId),
      headers: { authorization: this.bob.user.auth },
      payload: {
        messages: [{ destinationDeviceId: 1, destinationRegistrationId: this.alice.user.registrationId, content: randomBytes(40).toString('base64') }],
        timestamp: Date.now(),
      },
    });
    if (res.statusCode !== 200) throw new Error(`enqueue failed: ${res.statusCode} ${res.body}`);
  }

  async run(batch: FrameInput[]): Promise<void> {
    if (!this.session?.open) {
      this.session = await FrameSession.open(this.relay.url, this.alice.user.auth);
      this.malformedOnSession = 0;
    }
    const s = this.session;
    const start = s.frames.length;
    const expectedPongs: number[] = [];
    let expectedErrors = 0;
    let expectClose: number | undefined;
    for (const f of batch) {
      this.counter.add(f.kind === 'enqueue' ? 'frames: enqueue (relay stores an envelope)' : isValidFrame(f) ? 'frames: valid' : 'frames: invalid');
      if (f.kind === 'enqueue') {
        await this.enqueue();
        continue;
      }
      if (Buffer.byteLength(f.data) > LIMITS.maxFrameBytes) {
        // Over the limit: ws refuses it unread and closes with 1009, the documented code.
        s.ws.send(f.data, { binary: f.kind === 'binary' });
        expectClose = CLOSE_CODES.TOO_BIG;
        break;
      }
      if (isValidFrame(f)) {
        const frame = decodeClientFrame(f.data as string);
        if (frame.type === PING) expectedPongs.push(frame.id);
      } else {
        expectedErrors += 1;
        this.malformedOnSession += 1;
      }
      s.ws.send(f.data, { binary: f.kind === 'binary' });
      if (this.malformedOnSession >= MAX_MALFORMED) {
        expectClose = CLOSE_CODES.POLICY_VIOLATION;
        break;
      }
    }
    const id = (this.sentinel = this.sentinel <= 1_000_000 ? 2 ** 31 - 1 : this.sentinel - 1);
    if (expectClose !== undefined) {
      await s.until(() => s.closeCode !== undefined);
    } else {
      s.ws.send(JSON.stringify({ type: PING, id }));
      await s.until(() => s.frames.slice(start).some((f) => f.type === 'pong' && f.id === id) || s.closeCode !== undefined);
    }
    const got = s.frames.slice(start);
    const context = () =>
      `batch ${JSON.stringify(batch.map((f) => (f.kind === 'enqueue' ? f : { kind: f.kind, data: String(f.data).slice(0, 80), valid: isValidFrame(f) })))}\nframes ${JSON.stringify(got).slice(0, 1500)}`;
    expect(s.takeProblems(), context()).toEqual([]);
    const errors = got.filter((f) => f.type === 'error');
    expect(errors.length, context()).toBe(expectedErrors);
    for (const e of errors) expect(e.type === 'error' && e.code, context()).toBe('MALFORMED_FRAME');
    if (expectClose !== undefined) {
      expect(s.closeCode, context()).toBe(expectClose);
    } else {
      expect(s.closeCode, context()).toBeUndefined();
      expect(got.flatMap((f) => (f.type === 'pong' ? [f.id] : [])), context()).toEqual([...expectedPongs, id]);
    }
  }

  close(): void {
    this.session?.close();
  }
}
