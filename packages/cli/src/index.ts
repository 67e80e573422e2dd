// The `aviso` command line, as a library so tests and scripts can drive it in-process.
export { runCli, parseInvocation, type Invocation } from './run.js';
export type { CliIo, JsonObject } from './output.js';
export { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './errors.js';
