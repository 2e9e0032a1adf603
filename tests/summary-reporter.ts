// summary-reporter.ts — vitest reporter that prints one machine-readable line at the very end of a run:
// "vitest: 42 passed, 0 failed" (plus ", N skipped" when tests were skipped). A test file that fails to load
// counts as one failed test, and so does each unhandled error, so a broken run never reads "0 failed".
import type { Reporter, SerializedError, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      let moduleFailed = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") moduleFailed++;
        else if (state === "skipped") skipped++;
      }
      // Errors outside tests (syntax errors, failing beforeAll/afterAll) fail the module without failing a test.
      if (moduleFailed === 0 && (module.errors().length > 0 || module.state() === "failed")) moduleFailed = 1;
      failed += moduleFailed;
    }
    failed += unhandledErrors.length;
    const line = `vitest: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
    process.stdout.write(`\n${line}\n`);
  }
}
