// The `fim` command run in-process, its output captured: what every CLI test calls.
import { main } from "../../../node/export/src/cli/main.ts";

export async function fim(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}
