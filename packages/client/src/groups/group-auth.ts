import { ENDPOINTS, GROUP_HEADERS, LIMITS, type EndorsementsResponse, type EndpointSpec } from '@aviso/protocol';
import type { z } from 'zod';
import type { Account } from '../account/account.js';
import { authPresentation, dayStart, DAY_SECONDS, receiveAuthCredentials } from '../crypto/group-auth.js';
import type { GroupKeys } from '../crypto/group-keys.js';
import type { AuthCredentialWithPni } from '../crypto/zkgroup.js';
import { RelayRequestError } from '../errors.js';
import type { CallInput } from '../transport/http.js';
import { fromBase64 } from '../util/bytes.js';

/**
 * Group requests as the relay wants them (docs/groups.md "Authenticating group requests"): a
 * zero-knowledge presentation per group instead of our account, from day credentials fetched a week
 * at a time, over the relay's zkgroup params (fetched once).
 */
export class GroupAuth {
  #credentials = new Map<number, AuthCredentialWithPni>();
  #serverParams: Uint8Array | undefined;

  constructor(private readonly account: Account) {}

  /** A presentation-authenticated request (plus the invite password when joining). */
  async send<E extends EndpointSpec>(endpoint: E, input: Omit<CallInput<E>, 'headers'>, keys: GroupKeys, invitePassword?: string): Promise<z.output<E['response']>> {
    const headers: Record<string, string> = { [GROUP_HEADERS.presentation]: await this.#presentation(keys) };
    if (invitePassword !== undefined) headers[GROUP_HEADERS.invitePassword] = invitePassword;
    return this.account.http.call(endpoint, { ...input, headers } as CallInput<E>);
  }

  /**
   * The relay's send endorsements for the current members. Not queued behind group changes: the
   * caller checks the member list against the verified state itself.
   */
  fetchEndorsements(keys: GroupKeys): Promise<EndorsementsResponse> {
    return this.send(ENDPOINTS.endorsements, { params: { groupId: keys.groupId } }, keys);
  }

  async serverPublicParams(): Promise<Uint8Array> {
    if (!this.#serverParams) {
      const info = await this.account.http.call(ENDPOINTS.relayInfo, {});
      this.#serverParams = fromBase64(info.zkgroupPublicParams);
    }
    return this.#serverParams;
  }

  async #presentation(keys: GroupKeys): Promise<string> {
    const today = dayStart(Date.now());
    let credential = this.#credentials.get(today);
    if (!credential) {
      await this.#fetchCredentials(today);
      credential = this.#credentials.get(today);
      if (!credential) throw new RelayRequestError({ code: 'BAD_RESPONSE', status: 200, retryable: true, message: 'the relay issued no group credential for today' });
    }
    return authPresentation(await this.serverPublicParams(), keys.secretParams, credential);
  }

  async #fetchCredentials(today: number): Promise<void> {
    const to = today + (LIMITS.maxAuthCredentialDays - 1) * DAY_SECONDS;
    const res = await this.account.http.call(ENDPOINTS.authCredentials, { query: { from: today, to } });
    let received;
    try {
      received = receiveAuthCredentials(await this.serverPublicParams(), this.account.record.accountId, res);
    } catch (err) {
      throw new RelayRequestError({ code: 'BAD_RESPONSE', status: 200, retryable: false, message: 'the relay issued group credentials that do not verify' }, { cause: err });
    }
    // Drop past days; keep the rest (a credential is valid for its day only).
    this.#credentials = new Map([...this.#credentials, ...received].filter(([t]) => t >= today));
  }
}
