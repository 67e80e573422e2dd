import { label as agentLabel, resolveOne as agentResolveOne, type Namer } from '@aviso/agent';
import { terminalText } from './terminal-text.js';

export { MIN_PREFIX, type Namer } from '@aviso/agent';

/** The agent's resolver, with names from others made safe for the terminal in its messages. */
export function resolveOne<T>(items: readonly T[], query: string, namer: Namer<T>): T {
  return agentResolveOne(items, query, { display: terminalText, ...namer });
}

/** `Eastside (3f2a9c10)`, or just the short id for things without a name. */
export function label<T>(item: T, namer: Pick<Namer<T>, 'id' | 'name'>): string {
  return agentLabel(item, { display: terminalText, ...namer });
}
