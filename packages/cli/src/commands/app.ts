import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppLock, AppServer, type AppServerOptions } from '@aviso/agent';
import { storeProtection } from '@aviso/client';
import { flag, stringOption, type Parsed } from '../command.js';
import { toCliError } from '../errors.js';
import { usageError } from '../errors.js';
import { say } from '../lang.js';
import { withHandover } from '../handover.js';
import type { Context } from '../session.js';

/** The built app: packages/app/dist beside this package (src/ or dist/ alike), or AVISO_APP_DIR. */
function appDir(env: Record<string, string | undefined>): string | undefined {
  const dir = env['AVISO_APP_DIR'] || fileURLToPath(new URL('../../../app/dist', import.meta.url));
  return existsSync(`${dir}/index.html`) ? dir : undefined;
}

// What `app` does; its name, help and flags are in ../catalog/sessions.ts.
export async function app(ctx: Context, args: Parsed): Promise<void> {
  const portText = stringOption(args, 'port') ?? '0';
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) throw usageError('cli.usage.port', { port: portText });
  const lang = stringOption(args, 'lang');
  if (lang !== undefined && lang !== 'es' && lang !== 'en') throw usageError('cli.usage.lang');
  const staticDir = appDir(ctx.io.env);
  if (!staticDir) ctx.io.err(say('cli.app.notBuilt'));
  ctx.io.handleStop(); // Ctrl-C and SIGTERM close the client and the store cleanly
  const serve = async (opened: Pick<AppServerOptions, 'client' | 'lock'>) => {
    let fatal!: (err: Error) => void;
    const failed = new Promise<never>((_, reject) => (fatal = reject));
    const server = new AppServer({
      ...opened,
      profile: ctx.profile,
      staticDir,
      port,
      describe: (p) => {
        if (p.kind === 'error') return toCliError(p.error, ctx.errors);
        return p.kind === 'alert-dropped' ? { code: 'ALERT_DROPPED', message: 'an alert was dropped: its sender was removed from the group' } : { code: 'IDENTITY_CHANGED', message: `the safety number with ${p.accountId} changed` };
      },
      explain: (err) => toCliError(err, ctx.errors),
      onFatal: (err) => fatal(err),
      ...(ctx.io.env['AVISO_CONNECT_TIMEOUT'] ? { connectTimeoutSeconds: Number(ctx.io.env['AVISO_CONNECT_TIMEOUT']) } : {}),
    });
    await server.start();
    try {
      const url = lang ? `${server.url}&lang=${lang}` : server.url;
      // A fixed English line, like --json: scripts and tests read the address from it (docs/cli.md).
      ctx.io.out(`aviso app ready at ${url}`);
      if (!flag(args, 'no-open')) openBrowser(url);
      await Promise.race([ctx.io.stopped, failed]);
    } finally {
      await server.stop();
    }
  };
  // A protected profile with no passphrase file starts locked: the app's unlock screen asks (docs/app.md
  // "Passphrase-protected profiles"), so the passphrase is never typed at a terminal left open.
  if (storeProtection(ctx.profile.dir) === 'passphrase' && !ctx.passphraseFile) {
    const lock = new AppLock({ profile: ctx.profile, logger: undefined });
    return serve({ lock });
  }
  // A running `aviso listen` on this profile hands it over (docs/app.md "The app and aviso listen").
  await withHandover(ctx, { connect: false, live: true, forward: false }, async (client) => serve({ client }));
}

/** Best effort: the address is printed anyway for whoever has no default browser. */
function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no opener here
  }
}
