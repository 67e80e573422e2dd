import { and, asc, eq, gt, like, lte, sql } from 'drizzle-orm';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { RegistrationTokenRecord, TokensStore } from '../../ports/tokens.js';
import type { Db } from './db.js';
import { registrationTokens } from './schema.js';

export class TokensRepository implements Synchronous<TokensStore> {
  constructor(private readonly db: Db) {}

  insert(record: RegistrationTokenRecord): void {
    this.db.insert(registrationTokens).values(record).run();
  }

  /** Uses the token once if it exists, is unexpired and has uses left; drops it when used up. */
  consume(hash: string, now: number): boolean {
    const updated = this.db
      .update(registrationTokens)
      .set({ usesLeft: sql`${registrationTokens.usesLeft} - 1` })
      .where(and(eq(registrationTokens.hash, hash), gt(registrationTokens.usesLeft, 0), gt(registrationTokens.expiresAt, now)))
      .run();
    if (updated.changes === 0) return false;
    this.db.delete(registrationTokens).where(and(eq(registrationTokens.hash, hash), lte(registrationTokens.usesLeft, 0))).run();
    return true;
  }

  list(): RegistrationTokenRecord[] {
    return this.db.select().from(registrationTokens).orderBy(asc(registrationTokens.expiresAt)).all();
  }

  /** Hashes starting with `prefix` (lower-case hex). */
  findByPrefix(prefix: string): RegistrationTokenRecord[] {
    return this.db.select().from(registrationTokens).where(like(registrationTokens.hash, `${prefix}%`)).all();
  }

  delete(hash: string): boolean {
    return this.db.delete(registrationTokens).where(eq(registrationTokens.hash, hash)).run().changes > 0;
  }

  deleteExpired(now: number): number {
    return this.db.delete(registrationTokens).where(lte(registrationTokens.expiresAt, now)).run().changes;
  }
}
