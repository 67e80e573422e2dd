import { NotRegisteredError } from '../errors.js';
import type { AccountRecord, AvisoStore } from '../stores/interfaces.js';
import { RelayHttp, type FetchLike } from '../transport/http.js';

export interface HttpOptions {
  fetch?: FetchLike | undefined;
  timeoutMs?: number | undefined;
}

/**
 * This device's account on its relay and the authenticated HTTP client for it. Set once by
 * registration; every layer that talks to the relay reads it here (it stays readable after close()).
 */
export class Account {
  #record: AccountRecord | undefined;
  #http: RelayHttp | undefined;

  constructor(
    store: AvisoStore,
    readonly httpOptions: HttpOptions,
  ) {
    const record = store.getAccount();
    if (record) this.set(record);
  }

  get registered(): AccountRecord | undefined {
    return this.#record;
  }

  /** The account record; NotRegisteredError before registration. */
  get record(): AccountRecord {
    if (!this.#record) throw new NotRegisteredError();
    return this.#record;
  }

  get http(): RelayHttp {
    if (!this.#http) throw new NotRegisteredError();
    return this.#http;
  }

  set(record: AccountRecord): void {
    this.#record = record;
    this.#http = new RelayHttp({ baseUrl: record.relayUrl, credentials: record, fetch: this.httpOptions.fetch, timeoutMs: this.httpOptions.timeoutMs });
  }

  /** An unauthenticated client for a relay we are not (yet) registered with. */
  anonymous(baseUrl: string): RelayHttp {
    return new RelayHttp({ baseUrl, fetch: this.httpOptions.fetch, timeoutMs: this.httpOptions.timeoutMs });
  }
}
