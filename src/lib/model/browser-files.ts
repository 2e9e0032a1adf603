// Checkpoint sources of the page and workers: a dropped or picked folder (`droppedFiles`) and a folder served over
// HTTP such as public/models/<name>/ (`urlFiles`); the Hugging Face Hub source is in hub-files.ts and shares the
// helpers exported here. All are CheckpointFiles whose
// list() gives names and whose reads are lazy: the loader (checkpoint.ts) decides what is fetched, and *.bin, onnx/,
// original/ are never downloaded. Only fetch, Response, Blob, File and CacheStorage are used (no node: modules).
// Not here: walking a dropped folder's entries (the page collects the File objects), logins for private or gated
// repos, the origin-private file system.

import { CONFIG_FILE } from "./config.ts";
import { GENERATION_CONFIG_FILE, WEIGHTS_FILE } from "./checkpoint.ts";
import { CheckpointError } from "./errors.ts";
import type { CheckpointFiles } from "./files.ts";
import { parseShardIndex, SHARD_INDEX_FILE } from "./shards.ts";
import { TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from "./tokenizer.ts";

/** Optional file listing of a served folder: `{ "files": ["config.json", ...] }`, so no names need probing. */
export const MANIFEST_FILE = "manifest.json";

/** A file could not be had from its source: missing, unreachable, refused or cut short. */
export class ModelSourceError extends Error {
  constructor(
    /** The folder URL or repo id. */
    readonly source: string,
    readonly file: string | undefined,
    /** The HTTP status, when a server answered. */
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = "ModelSourceError";
  }
}

const CHECKPOINT_JSON = [CONFIG_FILE, TOKENIZER_FILE, TOKENIZER_CONFIG_FILE, GENERATION_CONFIG_FILE];
/** Weights in formats the loader never reads: refused rather than downloaded by mistake (they are the big files). */
export const FOREIGN_WEIGHTS = /\.(bin|pt|pth|ckpt|gguf|h5|msgpack|onnx|ot|tflite)$/;
const decode = (b: Uint8Array) => new TextDecoder().decode(b);
export const why = (e: unknown) => (e instanceof Error ? e.message : String(e));
export const defaultFetch: typeof fetch = (input, init) => globalThis.fetch(input, init); // unbound fetch throws in browsers
/** An HTML page where another file was asked for: a static server's single-page-app fallback, so the file is missing. */
const isHtmlFallback = (name: string, r: Response) => !/\.html?$/.test(name) && (r.headers.get("content-type") ?? "").includes("text/html");

/** The files loadCheckpoint reads: its JSON files, then the shard index and the shards it names, or model.safetensors. */
export async function neededFiles(has: (name: string) => boolean | Promise<boolean>, readIndex: () => Promise<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for (const name of CHECKPOINT_JSON) if (await has(name)) out.push(name);
  if (await has(SHARD_INDEX_FILE)) {
    let json: unknown;
    try {
      json = JSON.parse(decode(await readIndex()));
    } catch (e) {
      if (e instanceof SyntaxError) throw new CheckpointError(SHARD_INDEX_FILE, undefined, `is not valid JSON (${e.message}): download it again`);
      throw e;
    }
    out.push(SHARD_INDEX_FILE);
    for (const shard of parseShardIndex(json).files) if (await has(shard)) out.push(shard);
  } else if (await has(WEIGHTS_FILE)) {
    out.push(WEIGHTS_FILE);
  }
  return out;
}

// ---- a dropped or picked folder ------------------------------------------------------------------------------

/**
 * The files of a dropped or picked folder. Names are the last component of `webkitRelativePath` ("qwen/config.json",
 * from <input webkitdirectory>) or `name`; files in subfolders (fewer slashes win) are left out. The label defaults
 * to the folder's name.
 */
export function droppedFiles(files: File[], label?: string): CheckpointFiles {
  const pathOf = (f: File) => (f as { webkitRelativePath?: string }).webkitRelativePath || f.name;
  const depth = (f: File) => pathOf(f).split("/").length;
  const top = Math.min(...files.map(depth));
  const byName = new Map<string, File>();
  for (const f of files) {
    if (depth(f) !== top) continue; // inside a subfolder: onnx/, original/, ...
    const name = pathOf(f).split("/").pop()!;
    if (byName.has(name)) throw new CheckpointError(name, undefined, "was given twice: drop or pick one checkpoint folder at a time");
    byName.set(name, f);
  }
  const first = files.find((f) => depth(f) === top);
  const where = label ?? (first && top > 1 ? pathOf(first).split("/").slice(0, -1).join("/") : "dropped files");
  const get = (name: string): File => {
    const f = byName.get(name);
    if (!f) throw new CheckpointError(name, undefined, `not found in ${where}`);
    return f;
  };
  return {
    label: where,
    list: () => [...byName.keys()].sort(),
    read: async (name) => new Uint8Array(await get(name).arrayBuffer()),
    readRange: async (name, begin, end) => new Uint8Array(await get(name).slice(begin, Math.max(begin, end)).arrayBuffer()),
    size: (name) => byName.get(name)?.size,
  };
}

// ---- a folder served over HTTP ---------------------------------------------------------------------------------

export interface UrlFilesOptions {
  /** For tests, or to add headers. */
  fetch?: typeof fetch;
  /** For messages; default the folder's URL. */
  label?: string;
}

/**
 * A checkpoint folder served over HTTP (public/models/<name>/ of the app, or any static server; cross-origin ones need
 * CORS). list() reads manifest.json when there is one, else asks for the files a checkpoint has with HEAD. Tensors
 * are read with Range requests; a server that ignores Range sends the whole file, which is then kept and sliced.
 */
export function urlFiles(baseUrl: string, opts: UrlFilesOptions = {}): CheckpointFiles {
  const fetchFn = opts.fetch ?? defaultFetch;
  let base: URL;
  try {
    base = new URL(baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`, globalThis.location?.href);
  } catch {
    throw new ModelSourceError(baseUrl, undefined, undefined, `${baseUrl} is not a URL: give the checkpoint folder's address, e.g. /models/<name>/`);
  }
  const label = opts.label ?? base.href;
  const urlOf = (name: string) => new URL(encodeURIComponent(name), base).href;
  const sizes = new Map<string, number>();
  const whole = new Map<string, Promise<Uint8Array>>(); // files fetched whole (read(), or a server ignoring Range)

  /** The response, or a ModelSourceError naming the URL and the HTTP status. */
  const request = async (name: string, init?: RequestInit, also: number[] = []): Promise<Response> => {
    const url = urlOf(name);
    let r: Response;
    try {
      r = await fetchFn(url, init);
    } catch (e) {
      throw new ModelSourceError(label, name, undefined, `cannot reach ${url} (${why(e)})`);
    }
    if (r.status === 404) throw new ModelSourceError(label, name, 404, `${name} not found at ${url} (HTTP 404)`);
    if (r.ok && isHtmlFallback(name, r)) {
      throw new ModelSourceError(label, name, r.status, `${name} not found at ${url} (the server sent an HTML page instead, HTTP ${r.status})`);
    }
    if (!r.ok && !also.includes(r.status)) throw new ModelSourceError(label, name, r.status, `${url}: HTTP ${r.status} ${r.statusText}`.trimEnd());
    return r;
  };
  const readWhole = (name: string): Promise<Uint8Array> => {
    let p = whole.get(name);
    if (!p) {
      p = request(name).then(async (r) => new Uint8Array(await r.arrayBuffer()));
      whole.set(name, p);
      p.catch(() => whole.delete(name));
    }
    return p;
  };
  const exists = async (name: string): Promise<boolean> => {
    try {
      const r = await request(name, { method: "HEAD" });
      const length = r.headers.get("content-length");
      if (length !== null && !r.headers.get("content-encoding")) sizes.set(name, Number(length));
      return true;
    } catch (e) {
      if (e instanceof ModelSourceError && e.status !== undefined && e.status < 500) return false;
      throw e;
    }
  };

  return {
    label,
    async list() {
      let manifest: Uint8Array | undefined;
      try {
        manifest = new Uint8Array(await (await request(MANIFEST_FILE)).arrayBuffer());
      } catch (e) {
        if (!(e instanceof ModelSourceError && (e.status === 404 || e.status === 200))) throw e;
      }
      if (manifest) {
        const files = (() => {
          try {
            return (JSON.parse(decode(manifest)) as { files?: unknown }).files;
          } catch {
            return undefined;
          }
        })();
        if (!Array.isArray(files) || !files.every((f) => typeof f === "string")) {
          throw new ModelSourceError(label, MANIFEST_FILE, undefined, `${urlOf(MANIFEST_FILE)} is not {"files": ["config.json", ...]}: fix it or remove it`);
        }
        return files.filter((f) => !f.includes("/")).sort();
      }
      const probed = new Map<string, Promise<boolean>>();
      const has = (name: string) => {
        let p = probed.get(name);
        if (!p) probed.set(name, (p = exists(name)));
        return p;
      };
      for (const name of [...CHECKPOINT_JSON, SHARD_INDEX_FILE, WEIGHTS_FILE]) void has(name).catch(() => {}); // in parallel
      return (await neededFiles(has, () => readWhole(SHARD_INDEX_FILE))).sort();
    },
    read: readWhole,
    async readRange(name, begin, end) {
      if (end <= begin) return new Uint8Array(0);
      const kept = whole.get(name);
      if (kept) return (await kept).subarray(begin, end);
      const r = await request(name, { headers: { Range: `bytes=${begin}-${end - 1}` } }, [416]);
      if (r.status === 416) return new Uint8Array(0); // begin is past the end: the caller reports the truncation
      const bytes = new Uint8Array(await r.arrayBuffer());
      if (r.status === 206) {
        const range = r.headers.get("content-range"); // readable cross-origin only when the server exposes it
        if (range && !range.startsWith(`bytes ${begin}-`)) {
          throw new ModelSourceError(label, name, 206, `${urlOf(name)} answered the range ${begin}-${end - 1} with ${range}`);
        }
        return bytes;
      }
      whole.set(name, Promise.resolve(bytes)); // 200: Range was ignored and this is the whole file
      return bytes.subarray(begin, end);
    },
    size: (name) => sizes.get(name),
  };
}

// ---- a Hugging Face Hub repo -------------------------------------------------------------------------------------
