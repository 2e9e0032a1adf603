// model-sources.ts — e2e harness: loads checkpoints in the page through the browser sources (browser-files.ts) and
// returns plain summaries (config, token ids, first weights, progress events) for model-sources.test.ts to compare
// with Node's reference. Test code only, not part of the app.

import { urlFiles } from "../../../src/lib/model/browser-files.ts";
import { clearHubCache, hubDownloadSize, hubFiles, type HubProgress } from "../../../src/lib/model/hub-files.ts";
import { loadCheckpoint } from "../../../src/lib/model/checkpoint.ts";
import type { CheckpointFiles } from "../../../src/lib/model/files.ts";

/** What to look at in a loaded checkpoint: the token ids of `text`, the first values of `tensors`. */
export interface Probe {
  text: string;
  tensors: string[];
}

export interface LoadSummary {
  label: string;
  names: string[];
  config: { architecture: string; vocab_size: number; hidden_size: number; num_hidden_layers: number };
  encoded: number[];
  decoded: string;
  stopIds: number[];
  /** Tensor name -> its first 32 values. */
  first: Record<string, number[]>;
  events: HubProgress[];
  /** SHA-256 (hex) of the file `digestOf` named, as the source gives it after the load. */
  digest?: string;
}

export interface HubHarnessOptions {
  chunkBytes?: number;
  digestOf?: string;
}

const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

async function summary(files: CheckpointFiles, probe: Probe, events: HubProgress[] = [], digestOf?: string): Promise<LoadSummary> {
  const ck = await loadCheckpoint(files);
  const first: Record<string, number[]> = {};
  for (const name of probe.tensors) first[name] = Array.from((await ck.weights.get(name)).data.subarray(0, 32));
  const encoded = ck.tokenizer.encode(probe.text, { addSpecialTokens: false });
  const { architecture, vocab_size, hidden_size, num_hidden_layers } = ck.config;
  return {
    label: files.label,
    names: await files.list(),
    config: { architecture, vocab_size, hidden_size, num_hidden_layers },
    encoded,
    decoded: ck.tokenizer.decode(encoded),
    stopIds: ck.stopIds,
    first,
    events,
    ...(digestOf && { digest: hex(await crypto.subtle.digest("SHA-256", (await files.read(digestOf)).slice())) }),
  };
}

const api = {
  hub(repo: string, endpoint: string, cacheName: string, probe: Probe, opts: HubHarnessOptions = {}): Promise<LoadSummary> {
    const events: HubProgress[] = [];
    const files = hubFiles(repo, { endpoint, cacheName, chunkBytes: opts.chunkBytes, onProgress: (p) => events.push(p) });
    return summary(files, probe, events, opts.digestOf);
  },
  url: (baseUrl: string, probe: Probe) => summary(urlFiles(baseUrl), probe),
  hubSize: (repo: string, endpoint: string, cacheName: string) => hubDownloadSize(repo, { endpoint, cacheName }),
  cacheKeys: async (cacheName: string) => (await (await caches.open(cacheName)).keys()).map((r) => r.url).sort(),
  clear: (repo: string | undefined, cacheName: string) => clearHubCache(repo, { cacheName }),
};

declare global {
  interface Window {
    modelSources: typeof api;
  }
}
window.modelSources = api;
