// vitest.config.ts — test projects: `unit` (fast, Node) and `e2e` (real Chromium via playwright-core against
// the Vite dev server, one file at a time, after the unit tests). The summary reporter prints "vitest: N passed, M failed" last.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default", "./tests/summary-reporter.ts"],
    passWithNoTests: true,
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
          environment: "node",
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          pool: "forks",
          // After the unit tests, so Chromium and the dev server do not compete with them for the CPU.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
