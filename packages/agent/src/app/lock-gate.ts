import type { AvisoClient } from '@aviso/client';
import { autoWipeDue } from '../auto-wipe.js';
import { AgentError } from '../errors.js';
import type { Profile } from '../profile.js';
import { bad, text, type Body } from './api.js';
import { MAX_IDLE_MINUTES, type AppLock } from './lock.js';

/** Wrong passphrases accepted per window before RATE_LIMITED: a guesser at the page gets 5 a minute. */
export const MAX_UNLOCK_ATTEMPTS = 5;
export const UNLOCK_WINDOW_MS = 60_000;
/** The longest passphrase the unlock screen takes (the CLI's passphrase files stop at 4096 bytes too). */
export const MAX_PASSPHRASE_CHARS = 1024;
/** How often a locked app checks whether the profile is past its days without an unlock (auto-wipe.ts). */
export const AUTO_WIPE_CHECK_MS = 3600_000;

interface Hooks {
  /** The client is open: the server builds its APIs and starts the feed. */
  opened(client: AvisoClient): Promise<void>;
  /** The client was closed (button, idle time, wipe): the server drops its APIs and tells the page. */
  closed(): Promise<void>;
}

/**
 * The app's lock routes over an AppLock: POST /api/unlock, /api/lock, /api/lock/idle, /api/wipe. They
 * run behind the same session cookie, Host and Origin checks as every call (server.ts). The passphrase
 * goes straight to AppLock.unlock and is kept nowhere here.
 */
export class LockGate {
  #failures: number[] = [];
  #wiped = false;
  #unlocking: Promise<unknown> | undefined;
  readonly #stopListening: () => void;
  readonly #autoWipeTimer: NodeJS.Timeout;

  constructor(
    private readonly lock: AppLock,
    private readonly profile: Profile,
    private readonly hooks: Hooks,
  ) {
    this.#stopListening = lock.listen((state) => {
      if (state === 'locked') void hooks.closed();
    });
    this.#autoWipeTimer = setInterval(() => void this.wipeIfDue(), AUTO_WIPE_CHECK_MS);
    this.#autoWipeTimer.unref();
  }

  /** A locked app left running past the profile's days without an unlock wipes it, as the button does. */
  async wipeIfDue(now = Date.now()): Promise<boolean> {
    if (this.#wiped || this.lock.state !== 'locked' || !autoWipeDue(this.profile, now)) return false;
    this.#wiped = true;
    this.#stopListening();
    await this.hooks.closed();
    await this.lock.wipe();
    return true;
  }

  get wiped(): boolean {
    return this.#wiped;
  }

  get idleMinutes(): number {
    return this.lock.idleMinutes;
  }

  touch(): void {
    this.lock.touch();
  }

  /** The handler of a lock route, or undefined when `path` is not one. */
  route(method: string, path: string): ((body: Body) => Promise<unknown>) | undefined {
    if (method !== 'POST') return undefined;
    if (path === '/api/unlock') return (body) => this.#unlock(body);
    if (path === '/api/lock') return async () => {
      await this.lock.lock();
      return { type: 'locked' };
    };
    if (path === '/api/lock/idle') return async (body) => this.#idle(body);
    if (path === '/api/wipe') return (body) => this.#wipe(body);
    return undefined;
  }

  async #unlock(body: Body): Promise<unknown> {
    const passphrase = text(body, 'passphrase', MAX_PASSPHRASE_CHARS)!;
    if (this.lock.state === 'unlocked') return { type: 'unlocked' };
    const now = Date.now();
    this.#failures = this.#failures.filter((at) => now - at < UNLOCK_WINDOW_MS);
    if (this.#failures.length >= MAX_UNLOCK_ATTEMPTS) {
      const retryAfterSeconds = Math.ceil((this.#failures[0]! + UNLOCK_WINDOW_MS - now) / 1000);
      throw new AgentError('RATE_LIMITED', `too many wrong passphrases: try again in ${retryAfterSeconds} seconds`);
    }
    // One unlock at a time: a second tap while the store opens waits for the first.
    if (this.#unlocking) await this.#unlocking.catch(() => undefined);
    if (this.lock.client) return { type: 'unlocked' };
    const attempt = this.lock.unlock(passphrase);
    this.#unlocking = attempt;
    let client: AvisoClient;
    try {
      client = await attempt;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'WRONG_PASSPHRASE') this.#failures.push(Date.now());
      throw err;
    } finally {
      this.#unlocking = undefined;
    }
    this.#failures = [];
    await this.hooks.opened(client);
    return { type: 'unlocked' };
  }

  #idle(body: Body): unknown {
    const minutes = body['minutes'];
    if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > MAX_IDLE_MINUTES) throw bad('minutes', `must be a whole number from 1 to ${MAX_IDLE_MINUTES}`);
    this.lock.setIdleMinutes(minutes);
    return { type: 'lock-idle', minutes };
  }

  /** The wipe button: the page sends the profile's name as typed by the person, a second step against a slip. */
  async #wipe(body: Body): Promise<unknown> {
    if (body['confirm'] !== this.profile.name) throw bad('confirm', 'must be the profile name');
    this.#wiped = true;
    this.#stopListening();
    await this.hooks.closed();
    await this.lock.wipe();
    return { type: 'wiped', profile: this.profile.name };
  }

  async close(): Promise<void> {
    clearInterval(this.#autoWipeTimer);
    this.#stopListening();
    await this.lock.lock();
  }
}
