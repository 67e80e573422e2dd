import { setTimeout as sleep } from 'node:timers/promises';
import type { AvisoClient } from '@aviso/client';
import { forward } from './control.js';
import { CliError } from './errors.js';
import { withClient, type Context, type SessionOptions } from './session.js';

/**
 * The request `aviso app` sends over the control socket to an `aviso listen` holding the profile.
 * Not a command anyone types: only listen's control handler answers it (the normal runner says
 * "unknown command"), so a listen never hands over to a terminal command, only to the app.
 */
export const HANDOVER = 'app-handover';

/** How long the app waits for listen to close its client and free the profile lock. */
export const HANDOVER_WAIT_MS = 15_000;
/** How long the app keeps asking a profile's holder that serves no control socket (yet). */
export const HANDOVER_ASK_MS = 3_000;

/** argv as forwarded (`--profile NAME app-handover`): is it the app asking for the profile? */
export function isHandover(argv: readonly string[]): boolean {
  const rest = argv[0] === '--profile' ? argv.slice(2) : argv;
  return rest.length === 1 && rest[0] === HANDOVER;
}

const busy = (err: unknown) => err instanceof CliError && err.code === 'PROFILE_BUSY';

/**
 * withClient for the app: when `aviso listen` holds the profile, ask it to hand over (it closes its
 * client and exits 0), wait for the lock, and open the profile here. One AvisoClient per folder,
 * always. Held by anything else (another app, a running command), the PROFILE_BUSY stands once
 * HANDOVER_ASK_MS has passed: a listen that has just printed `ready` may not serve its socket yet,
 * and a short command may finish and free the lock by itself.
 */
export async function withHandover<T>(ctx: Context, opts: SessionOptions, fn: (client: AvisoClient) => Promise<T>): Promise<T> {
  let opened = false;
  const run = (client: AvisoClient) => {
    opened = true;
    return fn(client);
  };
  const quiet = { out: () => undefined, err: () => undefined, write: () => undefined };
  const askUntil = Date.now() + HANDOVER_ASK_MS;
  let waitUntil: number | undefined;
  for (;;) {
    try {
      return await withClient(ctx, { ...opts, waitForLock: false }, run); // this loop does its own waiting
    } catch (err) {
      if (opened || !busy(err)) throw err;
      if (waitUntil === undefined) {
        const status = await forward(ctx.profile, ['--profile', ctx.profile.name, HANDOVER], quiet);
        if (status === 0) waitUntil = Date.now() + HANDOVER_WAIT_MS;
        else if (status !== undefined || Date.now() > askUntil) throw err; // not a listen: the lock's own message
      } else if (Date.now() > waitUntil) throw err;
      await sleep(100);
    }
  }
}
