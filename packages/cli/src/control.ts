import { UnixSocketChannel, type Profile } from '@aviso/agent';
import type { CliIo } from './output.js';

export { controlPath, forward } from '@aviso/agent';

export type Runner = (argv: string[], io: CliIo) => Promise<number>;

/**
 * Serves commands for the profile over the agent's Unix-socket channel, each run as if typed at a
 * terminal that is not a TTY; resolves with a stop function (undefined where sockets fail).
 */
export async function serveControl(profile: Profile, env: CliIo['env'], run: Runner): Promise<(() => Promise<void>) | undefined> {
  const channel = new UnixSocketChannel(profile);
  const serving = await channel.start((request) =>
    run([...request.argv], {
      out: request.out,
      err: request.err,
      write: request.write,
      env,
      stdoutIsTTY: false,
      stdinIsTTY: false,
      columns: () => 80,
      prompt: () => Promise.reject(new Error('no terminal')),
      stopped: request.closed,
      handleStop: () => undefined,
    }),
  );
  return serving ? () => channel.stop() : undefined;
}
