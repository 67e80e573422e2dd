import { createRegistrationToken, type AppContext } from '@aviso/server';
import { LegitPair } from '../../support/legit-pair.js';

/** After a fuzz run: two new members register, one sends, the other receives it over a WebSocket. */
export async function legitMembersStillWork(url: string, ctx: AppContext): Promise<void> {
  const pair = await LegitPair.create(url, createRegistrationToken(ctx).token, createRegistrationToken(ctx).token);
  try {
    await pair.exchanges(3);
  } finally {
    pair.close();
  }
}
