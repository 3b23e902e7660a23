/**
 * The dashboard build: Preact through Vite's own JSX transform (Oxc, the successor of the
 * `esbuild` option in Vite 8; no plugin), from src/dashboard into dist/dashboard, which the server
 * serves at `/` (src/api/dashboard-routes.ts). `npm run dashboard:dev` proxies the API to a server
 * on PAPERTRADE_URL (default http://127.0.0.1:3000).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const api = process.env.PAPERTRADE_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('./src/dashboard/', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/dashboard/', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    proxy: {
      '/api': api,
      '/ws': { target: api.replace(/^http/, 'ws'), ws: true },
    },
  },
});
