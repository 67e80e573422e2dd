import { defineConfig } from 'drizzle-kit';

// `pnpm --filter @aviso/server db:generate` writes forward-only SQL to drizzle/ (committed, never hand-edited);
// the relay applies it at start-up (src/storage/sqlite/db.ts).
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/storage/sqlite/schema.ts',
  out: './drizzle',
});
