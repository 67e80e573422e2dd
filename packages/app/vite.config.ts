import { defineConfig } from 'vite';

// Everything is bundled: no CDN, no remote font, no inline script (the host's CSP forbids them).
export default defineConfig({
  base: './',
  resolve: { conditions: ['@aviso/source'] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, assetsInlineLimit: 0, modulePreload: { polyfill: false }, sourcemap: false },
});
