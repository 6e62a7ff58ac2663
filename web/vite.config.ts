// Vite builds the console into dist/, which berthd serves (berthd --web web/dist).
// JSX is compiled by esbuild (jsxImportSource preact, from tsconfig.json): no Babel, no plugin.
import { defineConfig } from "vite";

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
    // no inline scripts or styles: the console runs under a strict Content-Security-Policy
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev`: the API of a berthd running on the default address
    proxy: { "/api": "http://127.0.0.1:8400" },
  },
});
