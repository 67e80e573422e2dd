import { ProtocolError, type MultiRecipientResponse } from '@aviso/protocol';
import type { Logger } from 'pino';
import type { GroupSendTokens } from './group-send-tokens.js';
import type { MessagesService } from '../delivery/delivery.js';
import type { RateLimiter } from '../shared/rate-limit.js';
import { splitSentMessage } from '../delivery/sent-message.js';

/**
 * `PUT /v1/messages/multi_recipient`: one upload of a sealed sender v2 SentMessage for many
 * recipients, authorised by a group send token instead of account credentials (docs/alerts.md).
 * Signal's order: parse, verify the token against exactly the recipients, then resolve accounts.
 */
export class GroupSendService {
  constructor(
    private readonly deps: {
      tokens: GroupSendTokens;
      messages: MessagesService;
      /** Keyed by the token's hash: the relay does not know the sender. */
      sendLimiter: RateLimiter;
      logger: Logger;
    },
  ) {}

  /** Resolves once the send is stored and pushed (with the other sends of the same event-loop turn). */
  async send(tokenHeader: string | undefined, body: Uint8Array<ArrayBuffer>): Promise<MultiRecipientResponse> {
    // No account lookup, no parsing cost for requests that cannot be authorised anyway.
    if (tokenHeader === undefined) throw new ProtocolError('UNAUTHORIZED', 'missing group send token');
    const message = splitSentMessage(body);
    const tokenHash = await this.deps.tokens.verify(tokenHeader, message.serviceIds);
    this.deps.sendLimiter.take(`group-send:${tokenHash}`);
    const stored = await this.deps.messages.sendToManySoon(message);
    // Counts only: never the token, the recipients or any payload byte.
    this.deps.logger.debug({ recipients: message.recipients.length, envelopes: stored }, 'group send stored');
    return { stored };
  }
}
