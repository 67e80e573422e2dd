// The import-cycle gate that `npm test` runs (`pnpm run cycles`). ESLint holds the arrows between
// packages and layers; this holds the one rule ESLint cannot see file by file: no module may reach
// itself again through its imports, type-only imports included, because a type circle is still two
// modules that cannot be understood, tested or moved apart.
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: cut it by moving the shared type or function down a layer.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '/dist/', '/drizzle/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'], conditionNames: ['@aviso/source', 'import', 'default'] },
  },
};
