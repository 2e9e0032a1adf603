// svelte.config.js — Svelte compiler options (read by the Vite plugin and svelte-check).
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

export default {
  // Lets <script lang="ts"> use TypeScript features that need more than type stripping.
  preprocess: vitePreprocess(),
  compilerOptions: {
    runes: true,
  },
};
