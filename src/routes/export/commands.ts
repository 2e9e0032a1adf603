// commands.ts — the shell commands that run an exported model: Ollama (create, run, /api/generate with "suffix")
// and llama.cpp (llama-cli with the format's FIM prompt, llama-server with /infill). Pure strings from the name and
// the format; the example is one small snippet with the cursor inside a function body.
import { buildPrompt, getFormat } from "../../lib/fim/index.ts";

const EXAMPLE_PREFIX = "def add(a, b):\n    ";
const EXAMPLE_SUFFIX = "\n\nprint(add(1, 2))\n";
const OLLAMA_URL = "http://localhost:11434";
const LLAMA_SERVER_PORT = 8012;

export interface CommandBlock {
  id: string;
  title: string;
  /** One command per line (a shell session). */
  lines: string[];
  note?: string;
}

/** Single-quoted for POSIX shells; $'…' when the text has newlines, so they survive as \n escapes. */
export function shellQuote(s: string): string {
  if (!/[\n\t\\']/.test(s)) return `'${s}'`;
  const escaped = s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\t/g, "\\t");
  return `$'${escaped}'`;
}

/** JSON on one line with a space after each colon and comma, for `curl -d '…'` (only single quotes need care). */
function jsonArg(body: unknown): string {
  // Newlines inside strings are escaped by JSON, so the only real newlines are the layout's.
  const json = JSON.stringify(body, null, 1).replace(/([[{])\n\s*/g, "$1").replace(/\n\s*([\]}])/g, "$1").replace(/\n\s*/g, " ");
  return `'${json.replace(/'/g, "'\\''")}'`;
}

export function runCommands(name: string, format: string): CommandBlock[] {
  const f = getFormat(format);
  const gguf = `${name}.gguf`;
  const built = buildPrompt({ format, document: EXAMPLE_PREFIX + EXAMPLE_SUFFIX, cursor: EXAMPLE_PREFIX.length });
  const cursorFamily = f.family === "cursor";
  const serverUrl = `http://localhost:${LLAMA_SERVER_PORT}`;
  return [
    {
      id: "ollama",
      title: "Ollama",
      lines: [
        `ollama create ${name} -f Modelfile`,
        `ollama run ${name}`,
        `curl ${OLLAMA_URL}/api/generate -d ${jsonArg({ model: name, prompt: EXAMPLE_PREFIX, suffix: EXAMPLE_SUFFIX, stream: false })}`,
      ],
      note: `Put the Modelfile next to ${gguf} (its FROM line is ./${gguf}). With "suffix", Ollama writes the ${f.name} FIM prompt from the Modelfile's template, as editor plugins use it.`,
    },
    {
      id: "llama-cli",
      title: "llama.cpp: command line",
      lines: [`llama-cli -m ${gguf} -no-cnv --temp 0.2 -n 64 -p ${shellQuote(built.prompt)}`],
      note: "The prompt is the format's FIM prompt for the example; llama.cpp reads its markers as single tokens. Builds of llama.cpp where llama-cli only chats name this tool llama-completion.",
    },
    {
      id: "llama-server",
      title: "llama.cpp: server",
      lines: [
        `llama-server -m ${gguf} --port ${LLAMA_SERVER_PORT}`,
        cursorFamily
          ? `curl ${serverUrl}/completion -d ${jsonArg({ prompt: built.prompt, n_predict: 64, stop: built.stop })}`
          : `curl ${serverUrl}/infill -d ${jsonArg({ input_prefix: EXAMPLE_PREFIX, input_suffix: EXAMPLE_SUFFIX, n_predict: 64 })}`,
      ],
      note: cursorFamily
        ? `/infill builds llama.cpp's own FIM prompt, which the ${f.name} format's window markers do not fit: send the prompt to /completion as it is.`
        : "/infill builds the FIM prompt from the FIM token ids stored in the GGUF.",
    },
  ];
}
