// webllm.worker.ts — hosts web-llm's engine (prebuilt Qwen2.5-Coder builds) off the main thread; the page talks to it
// through CreateWebWorkerMLCEngine (src/lib/webllm/completer.ts).
/// <reference lib="webworker" />
import { WebWorkerMLCEngineHandler } from "@mlc-ai/web-llm";

const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (msg: MessageEvent) => handler.onmessage(msg);
