/**
 * A bad environment: names every offending variable at once, so an operator fixes them in one go.
 * Its own file (config.ts re-exports it) so the operator CLI can recognise it without loading zod.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid relay configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.issues = issues;
  }
}
