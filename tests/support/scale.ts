// One switch between the quick suites CI runs on every change and the slow ones `pnpm test:slow`
// runs (`AVISO_SLOW=1`): the same test files, scaled up, so the two never drift apart.
export const slow = process.env.AVISO_SLOW === '1';

/** `ci` when the quick suite runs, `full` under `pnpm test:slow`. */
export function scale<T>(ci: T, full: T): T {
  return slow ? full : ci;
}
