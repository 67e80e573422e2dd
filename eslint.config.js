// One lint gate. Its main job is the package boundaries of STYLE.md: the protocol is pure, the
// relay and the SDK never import each other, services know no transport, client crypto does no I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ban = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/drizzle/**', '.ci/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['packages/protocol/src/**'],
    rules: ban([
      { group: ['node:*', 'fs', 'path', 'crypto', 'net', 'http'], message: 'protocol stays pure: no I/O, no node builtins' },
      { group: ['@aviso/*'], message: 'protocol depends on nothing of ours' },
    ]),
  },
  {
    files: ['packages/server/src/**'],
    rules: ban([{ group: ['@aviso/client', '@aviso/client/*', '**/client/src/**', '@aviso/agent', '@aviso/cli'], message: 'the relay never imports the SDK or its hosts' }]),
  },
  {
    files: ['packages/server/src/services/**', 'packages/server/src/storage/**'],
    rules: ban([
      { group: ['@aviso/client', '@aviso/client/*'], message: 'the relay never imports the SDK' },
      { group: ['fastify', 'ws', '**/http/**', '**/ws/**'], message: 'services and storage know no transport' },
    ]),
  },
  {
    // Services depend on ports; context.ts binds them to storage/sqlite (docs/architecture.md).
    files: ['packages/server/src/services/**', 'packages/server/src/ports/**'],
    rules: ban([
      { group: ['@aviso/client', '@aviso/client/*'], message: 'the relay never imports the SDK' },
      { group: ['fastify', 'ws', '**/http/**', '**/ws/**'], message: 'services and storage know no transport' },
      { group: ['**/storage/**', 'better-sqlite3', 'drizzle-orm', 'drizzle-orm/*'], message: 'services know ports, not a storage backend' },
    ]),
  },
  {
    // The operator CLI (info, backup, restore, the data folder's lock) and the composition root reach
    // storage through ports/ and the backend's entry point only, so one place opens the database.
    files: ['packages/server/src/cli/**', 'packages/server/src/context.ts'],
    rules: ban([
      { group: ['@aviso/client', '@aviso/client/*', '**/client/src/**', '@aviso/agent', '@aviso/cli'], message: 'the relay never imports the SDK or its hosts' },
      { group: ['better-sqlite3', 'drizzle-orm', 'drizzle-orm/*'], message: 'the CLI and context.ts go through storage/sqlite/backend.ts and ports/, not the database driver' },
      { regex: '(^|/)storage/(?!sqlite/backend\\.js$)', message: 'import storage/sqlite/backend.js (the back end\'s entry point), not its internals' },
    ]),
  },
  {
    // The storage contract speaks ports only, so any backend can run it; each backend's test file binds it.
    files: ['packages/server/test/storage/**'],
    ignores: ['packages/server/test/storage/*.test.ts'],
    rules: ban([{ group: ['**/storage/**', 'better-sqlite3', 'drizzle-orm', 'drizzle-orm/*'], message: 'the storage contract knows ports, not a backend' }]),
  },
  {
    files: ['packages/client/src/**'],
    rules: ban([{ group: ['@aviso/server', '@aviso/server/*', '**/server/src/**'], message: 'the SDK never imports the relay' }]),
  },
  // The SDK's layers run one way: api → messaging → groups, account, alerts → crypto, transport →
  // stores, util. Each block repeats the relay ban because a later block replaces an earlier one.
  {
    files: ['packages/client/src/messaging/**'],
    rules: ban([
      { group: ['@aviso/server', '@aviso/server/*'], message: 'the SDK never imports the relay' },
      { group: ['**/api/**'], message: 'messaging never reaches back into the facade: pass collaborators down' },
    ]),
  },
  {
    files: ['packages/client/src/groups/**', 'packages/client/src/account/**'],
    rules: ban([
      { group: ['@aviso/server', '@aviso/server/*'], message: 'the SDK never imports the relay' },
      { group: ['**/api/**', '**/messaging/**'], message: 'the group log and the account know no messaging' },
    ]),
  },
  {
    files: ['packages/client/src/alerts/**'],
    rules: ban([
      { group: ['@aviso/server', '@aviso/server/*'], message: 'the SDK never imports the relay' },
      { group: ['**/api/**', '**/messaging/**', '**/groups/**', '**/transport/**', 'ws', 'node:*'], message: 'alerts hold types and pure rules only' },
    ]),
  },
  {
    files: ['packages/client/src/transport/**', 'packages/client/src/stores/**', 'packages/client/src/util/**'],
    rules: ban([
      { group: ['@aviso/server', '@aviso/server/*'], message: 'the SDK never imports the relay' },
      { group: ['**/api/**', '**/messaging/**', '**/groups/**', '**/account/**'], message: 'the lower layers know nothing above them' },
    ]),
  },
  {
    files: ['packages/client/src/crypto/**'],
    rules: ban([
      { group: ['@aviso/server', '@aviso/server/*'], message: 'the SDK never imports the relay' },
      { group: ['ws', '**/transport/**', 'node:http', 'node:https', 'node:net'], message: 'crypto is sans-I/O' },
      { group: ['**/api/**', '**/messaging/**', '**/groups/**', '**/account/**'], message: 'crypto knows nothing above it' },
    ]),
  },
  {
    // The member CLI is an SDK consumer like any third-party client: it never reaches into the relay.
    files: ['packages/cli/src/**'],
    rules: ban([
      { group: ['@aviso/server', '@aviso/server/*', '**/server/src/**', '**/client/src/**', '**/agent/src/**'], message: 'the CLI uses the public SDK and agent only' },
    ]),
  },
  {
    // The member host sits under its front ends (CLI, app): it uses protocol and SDK, never a front end.
    files: ['packages/agent/src/**'],
    rules: ban([
      { group: ['@aviso/server', '@aviso/server/*', '**/server/src/**', '**/client/src/**'], message: 'the agent uses the public SDK only' },
      { group: ['@aviso/cli', '@aviso/cli/*', '**/cli/src/**'], message: 'nothing imports the CLI' },
    ]),
  },
  {
    // A package's own tests use that package and the packages it depends on, never another package's
    // sources or tests nor the repository's tests/: what needs two packages at once lives in tests/.
    files: ['packages/*/test/**'],
    rules: ban([
      { group: ['../../../*', '../../../../*', '**/tests/support/**', '**/tests/bench/**'], message: 'cross-package tests live in tests/' },
      { group: ['../../server/**', '../../client/**', '../../agent/**', '../../cli/**', '../../protocol/**'], message: "use the package's public entry, or move the test to tests/" },
    ]),
  },
  // Commands print; libraries log through an injected logger.
  { files: ['packages/*/src/**'], ignores: ['packages/server/src/cli/**', 'packages/cli/src/**'], rules: { 'no-console': 'error' } },
);
