/** Unique, increasing sender timestamps: (sender, device, sentAt) is a message's identity. */
export class SentClock {
  #last = 0;

  next(): number {
    this.#last = Math.max(Date.now(), this.#last + 1);
    return this.#last;
  }
}
