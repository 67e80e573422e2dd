import { errInfo, type Logger } from './logger.js';

type Listener<T> = (payload: T) => void;

/**
 * A small typed emitter. Unlike node's EventEmitter, an 'error' with no listener is not thrown
 * (an SDK must not crash its host), and a throwing listener is logged, not propagated into the
 * SDK's own control flow.
 */
export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();
  constructor(protected readonly emitterLogger: Logger) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return this;
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
    return this;
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const wrapped: Listener<Events[K]> = (payload) => {
      this.off(event, wrapped);
      listener(payload);
    };
    return this.on(event, wrapped);
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (err) {
        this.emitterLogger.error({ event: String(event), ...errInfo(err) }, 'event listener threw');
      }
    }
  }
}
