import type { AvisoClient, Logger } from '@aviso/client';
import { storeProtection } from '@aviso/client';
import { MemberHost } from '../host.js';
import { readSettings, writeSettings, type Profile } from '../profile.js';
import { wipeProfile } from '../wipe.js';

export const DEFAULT_IDLE_MINUTES = 15;
/** The longest idle time the app accepts: a day. Longer is "never lock", which it does not offer. */
export const MAX_IDLE_MINUTES = 24 * 60;

export interface AppLockOptions {
  profile: Profile;
  logger?: Logger | undefined;
  /** Minutes without use before the client is closed again (1 to MAX_IDLE_MINUTES; default 15). */
  idleMinutes?: number;
  /** Tests only: the idle time in ms, overriding idleMinutes. */
  idleMs?: number;
  onChange?: (state: 'locked' | 'unlocked') => void;
}

/**
 * The app's hold on a passphrase-protected profile: locked (no AvisoClient open, so the database key
 * is in no memory of this process) or unlocked (one client, through a MemberHost that holds the
 * profile lock). `unlock` takes the passphrase once, hands it to the SDK and keeps no copy; `touch`
 * marks use, and after the idle time without it the client is closed and the state is locked again.
 * The app server's unlock screen, idle lock and wipe button use it (app/lock-gate.ts, docs/app.md).
 */
export class AppLock {
  readonly #options: AppLockOptions;
  #host: MemberHost | undefined;
  #client: AvisoClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #idleMs: number;
  readonly #listeners = new Set<(state: 'locked' | 'unlocked') => void>();

  constructor(options: AppLockOptions) {
    this.#options = options;
    this.#idleMs = options.idleMs ?? idleMsOf(options.idleMinutes ?? DEFAULT_IDLE_MINUTES);
  }

  /** Whether the profile needs unlocking at all (false: a plain profile opens without a passphrase). */
  get protected(): boolean {
    return storeProtection(this.#options.profile.dir) === 'passphrase';
  }

  /** Also told of every change (the app server: an idle lock must reach the page). */
  listen(listener: (state: 'locked' | 'unlocked') => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(state: 'locked' | 'unlocked'): void {
    this.#options.onChange?.(state);
    for (const l of this.#listeners) l(state);
  }

  get state(): 'locked' | 'unlocked' {
    return this.#client ? 'unlocked' : 'locked';
  }

  get client(): AvisoClient | undefined {
    return this.#client;
  }

  get idleMinutes(): number {
    return this.#idleMs / 60_000;
  }

  /** Opens the profile with `passphrase`: WRONG_PASSPHRASE and the other SDK errors as thrown. */
  async unlock(passphrase: string): Promise<AvisoClient> {
    if (this.#client) return this.#client;
    if (typeof passphrase !== 'string' || passphrase === '') throw new RangeError('the passphrase is empty');
    let given: string | undefined = passphrase;
    const host = new MemberHost({
      command: 'app',
      logger: this.#options.logger,
      live: true,
      secret: async () => {
        const p = given;
        given = undefined; // asked once per open: no copy outlives it
        if (p === undefined) throw new RangeError('the passphrase was already used');
        return { passphrase: p };
      },
    });
    const client = await host.client(this.#options.profile);
    this.#host = host;
    this.#client = client;
    // The idle time is first needed now (the countdown starts at unlock), so it is kept in the
    // encrypted store with the profile's other settings rather than in a plain file beside it.
    const saved = readSettings(client).idleLockMinutes;
    if (this.#options.idleMs === undefined && saved !== undefined && validIdleMinutes(saved)) this.#idleMs = idleMsOf(saved);
    this.touch();
    this.#changed('unlocked');
    return client;
  }

  /** Marks use: the idle countdown starts again. */
  touch(): void {
    clearTimeout(this.#timer);
    if (!this.#client) return;
    this.#timer = setTimeout(() => void this.lock(), this.#idleMs);
    this.#timer.unref();
  }

  /** Sets the idle time, and saves it in the profile's store when unlocked (it applies from the next unlock after a restart too). */
  setIdleMinutes(minutes: number): void {
    this.#idleMs = idleMsOf(minutes);
    if (this.#client) writeSettings(this.#client, { ...readSettings(this.#client), idleLockMinutes: minutes });
    this.touch();
  }

  /** Closes the client (the store, the socket, the profile lock). A no-op when locked. */
  async lock(): Promise<void> {
    clearTimeout(this.#timer);
    const host = this.#host;
    this.#host = undefined;
    this.#client = undefined;
    if (!host) return;
    await host.closeAll();
    this.#changed('locked');
  }

  /** The wipe button: locks, then wipes the profile (no passphrase needed). */
  async wipe(): Promise<void> {
    await this.lock();
    wipeProfile(this.#options.profile);
  }
}

function idleMsOf(minutes: number): number {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_IDLE_MINUTES) throw new RangeError(`the idle time is a whole number of minutes from 1 to ${MAX_IDLE_MINUTES}`);
  return minutes * 60_000;
}

function validIdleMinutes(minutes: number): boolean {
  return Number.isInteger(minutes) && minutes >= 1 && minutes <= MAX_IDLE_MINUTES;
}
