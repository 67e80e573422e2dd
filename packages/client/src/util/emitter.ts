import { errInfo, type Logger } from './logger.js';

/**
 * A listener gets the event's payload and, for events listed in `Contexts`, a second argument (the
 * group a group message belongs to). One-argument listeners fit every event.
 */
type Listener<Events, Contexts, K extends keyof Events> = (payload: Events[K], context: Contexts[K & keyof Contexts]) => void;
type AnyListener = (payload: unknown, context: unknown) => void;

/**
 * A small typed emitter. Unlike node's EventEmitter, an 'error' with no listener is not thrown
 * (an SDK must not crash its host), and a throwing listener is logged, not propagated into the
 * SDK's own control flow.
 */
export class TypedEmitter<Events extends object, Contexts extends object = Record<never, never>> {
  readonly #listeners = new Map<keyof Events, Set<AnyListener>>();
  constructor(protected readonly emitterLogger: Logger) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events, Contexts, K>): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as AnyListener);
    return this;
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events, Contexts, K>): this {
    this.#listeners.get(event)?.delete(listener as AnyListener);
    return this;
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events, Contexts, K>): this {
    const wrapped: Listener<Events, Contexts, K> = (payload, context) => {
      this.off(event, wrapped);
      listener(payload, context);
    };
    return this.on(event, wrapped);
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K], context?: Contexts[K & keyof Contexts]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        listener(payload, context);
      } catch (err) {
        this.emitterLogger.error({ event: String(event), ...errInfo(err) }, 'event listener threw');
      }
    }
  }
}
