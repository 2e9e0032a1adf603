// vite.config.ts — Vite config of the FIM Studio SPA: Svelte 5 plugin, ES-module workers, and the headers that make
// the page cross-origin isolated (SharedArrayBuffer: the CPU backend's thread pool). A static host of the build needs
// the same two headers for the CPU backend to use more than one thread; everything else works without them.
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default defineConfig({
  plugins: [svelte()],
  worker: {
    format: "es",
  },
  server: {
    host: "127.0.0.1",
    headers: ISOLATION,
  },
  preview: {
    host: "127.0.0.1",
    headers: ISOLATION,
  },
  build: {
    target: "es2022",
    sourcemap: true,
  },
});
