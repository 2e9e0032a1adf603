// A pool of threads that share the CPU backend's big matmuls, the lm_head inside the fused cross-entropy and attention,
// while every Backend call stays synchronous. Not a general task queue: the backend calls one of the split
// methods below; it returns false when the call should run inline (pool not ready, too little work, a buffer not
// on a SharedArrayBuffer, a shape that does not split exactly).
//
// How a call runs: the calling thread cuts the work into `threads` disjoint ranges, posts one { kind: "run", task }
// message per worker, runs the first range itself, then blocks in Atomics.wait until the workers have counted
// their ranges done in a shared control word. Buffers live in SharedArrayBuffers (CpuBackend allocates them there
// when it has a pool), so a message carries only views, never data.
// Every range is computed by the same kernel code in the same summation order as one single-threaded call, so
// results are bit-identical for any number of threads (rows split on the forward kernel's 4-row blocks).
//
// Where threads are available:
//   - Node: worker_threads. The worker is TypeScript; Node 20 cannot load it, and tsx's hooks do not carry over to
//     a worker (not even with --import tsx in execArgv: the entry is resolved before the hooks exist). So the
//     worker is started from a two-line bootstrap (eval) that registers tsx's loader (tsx/esm/api, resolved from
//     this file) and then imports pool-worker.ts. Works the same under `tsx`, `node --import tsx`, the `fim`
//     CLI (tsx registered in-process) and vitest (which transforms TS itself but not in a worker it did not start).
//     Were this file built to .js, it would start pool-worker.js directly.
//   - Browser, inside a Web Worker (where the engine runs): nested module Workers, which Vite bundles from the
//     `new Worker(new URL(...))` below. Needs SharedArrayBuffer, i.e. a cross-origin isolated page (COOP/COEP).
//   - Browser main thread, or a page without SharedArrayBuffer: no pool (Atomics.wait is not allowed there);
//     ThreadPool.create returns null and the backend is single-threaded.
// Workers start asynchronously (a browser worker may not even start while its parent blocks): until all have said
// they are ready, calls run inline; `ready()` resolves once they have. A worker that throws marks the call failed
// and the caller throws; a worker that dies outright (out of memory) would leave the caller waiting.

import type { AttentionDims, ScanDims } from "../backend.ts";
import { attentionBackward, attentionForward } from "./attention.ts";
import { classifierBackward, classifierForward, VOCAB_CHUNK } from "./classifier.ts";
import { matmulBackward, matmulForward } from "./matmul.ts";
import { scanBackward, scanForward } from "./scan.ts";
import type { Arr, Ids } from "./types.ts";
import { instantiate, KERNEL_NAMES, type KernelExports, type KernelName } from "../wasm/kernels.ts";

/** Below this many multiply-adds a call runs inline: posting, waking a thread and waiting costs ~30-60 µs. */
export const MIN_PARALLEL_MACS = 200_000;

/** One range of one kernel; the arrays are views on SharedArrayBuffers. */
export type Task =
  | {
    kind: "matmulForward"; out: Arr; inp: Arr; weight: Arr; bias: Arr | null; N: number; IC: number; OC: number;
    scale: number; accumulate: boolean; rowStart: number; rowEnd: number;
  }
  | {
    kind: "matmulBackward"; dinp: Arr | null; dweight: Arr | null; dbias: Arr | null; dout: Arr; inp: Arr; weight: Arr;
    N: number; IC: number; OC: number; scale: number; rowStart: number; rowEnd: number; ocStart: number; ocEnd: number;
  }
  | { kind: "classifierForward"; losses: Arr; lse: Arr; h: Arr; wte: Arr; targets: Ids; N: number; C: number; V: number }
  | {
    kind: "classifierBackward"; dh: Arr | null; dwte: Arr | null; h: Arr; wte: Arr; targets: Ids; lse: Arr; dloss: number;
    N: number; C: number; V: number; chunkStart: number; chunkEnd: number;
  }
  | { kind: "attentionForward"; out: Arr; lse: Arr; q: Arr; k: Arr; v: Arr; d: AttentionDims; gStart: number; gEnd: number }
  | {
    kind: "attentionBackward"; dq: Arr; dk: Arr; dv: Arr; dout: Arr; q: Arr; k: Arr; v: Arr; out: Arr; lse: Arr; d: AttentionDims;
    gStart: number; gEnd: number;
  }
  | {
    kind: "scanForward"; y: Arr; hs: Arr | null; u: Arr; dt: Arr; Alog: Arr; Bm: Arr; Cm: Arr; D: Arr; d: ScanDims; state: Arr | null;
    c0: number; c1: number;
  }
  | {
    kind: "scanBackward"; du: Arr; ddt: Arr; dAlog: Arr | null; dBm: Arr; dCm: Arr; dD: Arr | null; dy: Arr; u: Arr; dt: Arr; Alog: Arr;
    Bm: Arr; Cm: Arr; D: Arr; hs: Arr; d: ScanDims; c0: number; c1: number;
  }
  | { kind: "wasm"; fn: KernelName; args: number[] } // a WebAssembly kernel on the backend's heap (addresses in args)
  | { kind: "sequence"; tasks: Task[] }; // run one after another on the same thread

/** The backend's WebAssembly module and heap memory: each worker instantiates the kernels on the same memory. */
export interface PoolWasm {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

/** Caller -> worker. Workers only answer "ready" (once); results and completion go through shared memory. */
export type PoolMessage =
  | { kind: "init"; ctrl: Int32Array; errorText: Uint8Array; wasm: PoolWasm | null; mail: Mailbox }
  | { kind: "run"; task: Task };

// The mailbox: the fast way to hand a worker WebAssembly tasks. A message costs ~50-100 us (structured clone, the
// event loop, a wake-up); a worker that has just finished a task instead parks for PARK_MS in Atomics.wait on its
// mailbox, where the caller can hand it the next WebAssembly task (kernel indices and numeric arguments in shared
// memory) in a few microseconds. Per worker, two words: STATE (MESSAGES: in its event loop; PARKED: waiting on the
// mailbox; CLAIMED: the caller is writing a task) and SEQ (bumped per task). The caller claims a parked worker with a
// compare-exchange PARKED -> CLAIMED, so a worker whose wait times out (PARKED -> MESSAGES) and a caller never both win.
// A task the mailbox cannot carry (TypeScript kernels) is posted after sending the parked worker back to its event
// loop (a mailbox entry of -1 calls).
const MESSAGES = 0, PARKED = 1, CLAIMED = 2;
const PARK_MS = 25;
const SPIN = 20_000; // Atomics.load polls before a futex wait (~20-40 us)
const MAIL_SLOTS = 96; // float64 slots per worker: [calls, (kernel index, argument count, arguments...) per call]

export interface Mailbox {
  /** Worker i's STATE at 2 i, SEQ at 2 i + 1. */
  words: Int32Array;
  /** Worker i's MAIL_SLOTS slots from i * MAIL_SLOTS. */
  slots: Float64Array;
  /** This worker's index (in the init message; -1 in the caller's copy). */
  index: number;
}

/** Writes `t` (WebAssembly kernels only) into `slots` from `at`; false when it is not such a task or does not fit. */
function encodeTask(t: Task, slots: Float64Array, at: number): boolean {
  const calls = t.kind === "wasm" ? [t] : t.kind === "sequence" ? t.tasks : null;
  if (!calls || !calls.every((c) => c.kind === "wasm")) return false;
  let o = at + 1;
  for (const c of calls as Extract<Task, { kind: "wasm" }>[]) {
    if (o + 2 + c.args.length > at + MAIL_SLOTS) return false;
    slots[o++] = KERNEL_NAMES.indexOf(c.fn);
    slots[o++] = c.args.length;
    for (const a of c.args) slots[o++] = a;
  }
  slots[at] = calls.length;
  return true;
}

/** Runs the calls written by encodeTask. */
function runMail(slots: Float64Array, at: number, k: KernelExports): void {
  const n = slots[at]!;
  let o = at + 1;
  for (let c = 0; c < n; c++) {
    const fn = k[KERNEL_NAMES[slots[o++]!]!] as (...a: number[]) => void;
    const count = slots[o++]!;
    fn(...slots.subarray(o, o + count));
    o += count;
  }
}

/** Runs one task; `k` is this thread's instance of the kernels (for "wasm" tasks). */
export function runTask(t: Task, k: KernelExports | null): void {
  switch (t.kind) {
    case "matmulForward":
      return matmulForward(t.out, t.inp, t.weight, t.bias, t.N, t.IC, t.OC, t.scale, t.accumulate, t.rowStart, t.rowEnd);
    case "matmulBackward":
      return matmulBackward(t.dinp, t.dweight, t.dbias, t.dout, t.inp, t.weight, t.N, t.IC, t.OC, t.scale, t.rowStart, t.rowEnd, t.ocStart, t.ocEnd);
    case "classifierForward":
      return classifierForward(t.losses, t.lse, t.h, t.wte, t.targets, t.N, t.C, t.V);
    case "classifierBackward":
      return classifierBackward(t.dh, t.dwte, t.h, t.wte, t.targets, t.lse, t.dloss, t.N, t.C, t.V, t.chunkStart, t.chunkEnd);
    case "attentionForward":
      return attentionForward(t.out, t.lse, t.q, t.k, t.v, t.d, undefined, t.gStart, t.gEnd);
    case "attentionBackward":
      return attentionBackward(t.dq, t.dk, t.dv, t.dout, t.q, t.k, t.v, t.out, t.lse, t.d, t.gStart, t.gEnd);
    case "scanForward":
      return scanForward(t.y, t.hs, t.u, t.dt, t.Alog, t.Bm, t.Cm, t.D, t.d, t.state, t.c0, t.c1);
    case "scanBackward":
      return scanBackward(t.du, t.ddt, t.dAlog, t.dBm, t.dCm, t.dD, t.dy, t.u, t.dt, t.Alog, t.Bm, t.Cm, t.D, t.hs, t.d, t.c0, t.c1);
    case "wasm":
      if (!k) throw new PoolError(`no WebAssembly kernels on this thread for ${t.fn}`);
      return (k[t.fn] as (...a: number[]) => void)(...t.args);
    case "sequence":
      for (const s of t.tasks) runTask(s, k);
  }
}

// Control words: DONE counts finished worker tasks of the current call, FAILED is set by a worker whose task
// threw (its message goes to errorText), READY counts workers that have installed their handler.
const DONE = 0, FAILED = 1, READY = 2, CTRL_WORDS = 3;
const ERROR_BYTES = 1024;

/** The worker side of the protocol (pool-worker.ts wires it to its message port). */
export function workerHandler(reply: (msg: "ready") => void): (msg: PoolMessage) => void {
  let ctrl: Int32Array | null = null;
  let errorText: Uint8Array | null = null;
  let k: KernelExports | null = null;
  let mail: Mailbox | null = null;
  let seen = 0; // the mailbox's SEQ as of the last task taken from it (only the caller changes SEQ)

  /** Runs a task and reports it done; `park`: PARKED is stored first, so the caller's next call finds the mailbox. */
  const finish = (run: () => void, park: boolean): void => {
    try {
      run();
    } catch (e) {
      const text = new TextEncoder().encode(String(e instanceof Error ? (e.stack ?? e.message) : e)).subarray(0, ERROR_BYTES - 1);
      errorText!.fill(0).set(text);
      Atomics.store(ctrl!, FAILED, 1);
    } finally {
      if (park) Atomics.store(mail!.words, 2 * mail!.index, PARKED);
      Atomics.add(ctrl!, DONE, 1);
      Atomics.notify(ctrl!, DONE);
    }
  };

  /** Waits on the mailbox (PARKED already stored) for PARK_MS at a time; back to the event loop on a timeout or when told. */
  const park = (): void => {
    const { words, slots, index } = mail!;
    const state = 2 * index, seq = state + 1, at = index * MAIL_SLOTS;
    for (;;) {
      // spin a little first: the next call of a burst (a layer's matmuls) comes within microseconds, and a futex
      // wake-up costs tens of them
      for (let i = 0; i < SPIN && Atomics.load(words, seq) === seen; i++);
      if (Atomics.load(words, seq) === seen) Atomics.wait(words, seq, seen, PARK_MS);
      const now = Atomics.load(words, seq);
      if (now === seen) {
        if (Atomics.compareExchange(words, state, PARKED, MESSAGES) === PARKED) return; // timed out: messages again
        continue; // claimed just as the wait timed out: the task is on its way
      }
      seen = now;
      if (slots[at]! < 0) return void Atomics.store(words, state, MESSAGES); // a message follows
      finish(() => runMail(slots, at, k!), true);
    }
  };

  return (msg) => {
    if (msg.kind === "init") {
      ({ ctrl, errorText, mail } = msg);
      if (msg.wasm) k = instantiate(msg.wasm.module, msg.wasm.memory);
      Atomics.add(ctrl, READY, 1);
      reply("ready");
      return;
    }
    const parks = mail !== null && k !== null;
    finish(() => runTask(msg.task, k), parks);
    if (parks) park();
  };
}

export class PoolError extends Error {
  override name = "PoolError";
}

interface PoolWorker {
  post(msg: PoolMessage): void;
  terminate(): Promise<void>;
}

export class ThreadPool {
  private readonly workers: PoolWorker[] = [];
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(CTRL_WORDS * 4));
  private readonly errorText = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES));
  private readonly mail: Mailbox;
  /** Tasks handed over through the mailbox rather than a message (tests check the fast path is used). */
  mailed = 0;
  private readonly readyPromise: Promise<void>;
  private failure: Error | null = null;
  private disposed = false;
  /** Ranges handed to workers so far (tests check the pool was used). */
  dispatched = 0;
  /** Workers started and not yet exited (Node reports exits; in a browser, until dispose). */
  running = 0;

  /** A pool of `threads` threads (the caller and threads - 1 workers), or null where threads cannot be used. */
  static create(threads: number, wasm: (PoolWasm & { k: KernelExports }) | null = null): ThreadPool | null {
    return threads > 1 && canBlock() ? new ThreadPool(threads, wasm) : null;
  }

  private constructor(readonly threads: number, private readonly wasm: (PoolWasm & { k: KernelExports }) | null) {
    this.mail = {
      words: new Int32Array(new SharedArrayBuffer(8 * threads)),
      slots: new Float64Array(new SharedArrayBuffer(8 * MAIL_SLOTS * threads)),
      index: -1,
    };
    const ready: Promise<void>[] = [];
    for (let i = 1; i < threads; i++) {
      ready.push(new Promise<void>((resolve, reject) => {
        const onError = (e: Error) => {
          this.failure ??= e instanceof PoolError ? e : new PoolError(`a CPU backend worker failed to start: ${e.message}`);
          reject(this.failure);
        };
        let w: PoolWorker;
        try {
          w = spawn(resolve, onError, () => this.running--);
        } catch (e) {
          return onError(e as Error);
        }
        this.running++;
        const init = wasm && { module: wasm.module, memory: wasm.memory };
        w.post({ kind: "init", ctrl: this.ctrl, errorText: this.errorText, wasm: init, mail: { ...this.mail, index: i - 1 } });
        this.workers.push(w);
      }));
    }
    this.readyPromise = Promise.all(ready).then(() => undefined);
    this.readyPromise.catch(() => {}); // nobody has to await it: until ready, calls run inline
  }

  /** Resolves when every worker is ready (rejects if one failed to start). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** True when calls are split (every worker ready, not disposed). */
  get active(): boolean {
    return !this.disposed && this.failure === null && Atomics.load(this.ctrl, READY) === this.workers.length;
  }

  /** Terminates the workers; calls run inline afterwards. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.workers.forEach((_, i) => this.unpark(i));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Claims worker i if it is parked on its mailbox (then the caller must write a task or unpark it). */
  private claim(i: number): boolean {
    return Atomics.compareExchange(this.mail.words, 2 * i, PARKED, CLAIMED) === PARKED;
  }

  private deliver(i: number): void {
    Atomics.add(this.mail.words, 2 * i + 1, 1);
    Atomics.notify(this.mail.words, 2 * i + 1);
  }

  /** Sends a parked worker back to its event loop (so that a message reaches it now). */
  private unpark(i: number): void {
    if (!this.claim(i)) return;
    this.mail.slots[i * MAIL_SLOTS] = -1;
    this.deliver(i);
    // it stores MESSAGES as it leaves; a message posted before that is simply handled after
  }

  // inp (N,IC), weight (OC,IC), bias (OC) -> out (N,OC); splits rows, or out-channels when N = 1 (decoding)
  matmulForward(
    out: Arr, inp: Arr, weight: Arr, bias: Arr | null, N: number, IC: number, OC: number, scale: number, accumulate: boolean,
  ): boolean {
    if (!this.active || N * IC * OC < MIN_PARALLEL_MACS || !allShared(out, inp, weight, bias)) return false;
    const base = { kind: "matmulForward", out, inp, weight, bias, N, IC, OC, scale, accumulate } as const;
    if (N >= 4 * this.threads) {
      // whole 4-row blocks per thread, so each row takes the same path (block or tail) as in one call
      return this.run(ranges(N, this.threads, 4).map(([rowStart, rowEnd]) => ({ ...base, rowStart, rowEnd })));
    }
    if (N === 1) {
      // one row: a slice of out-channels is a matmul of its own over slices of weight, bias and out
      return this.run(ranges(OC, this.threads, 1).map(([a, b]) => ({
        ...base, out: out.subarray(a, b), weight: weight.subarray(a * IC, b * IC), bias: bias?.subarray(a, b) ?? null,
        OC: b - a, rowStart: 0, rowEnd: 1,
      })));
    }
    return false;
  }

  // dout (N,OC), inp (N,IC), weight (OC,IC) -> dinp (N,IC) +=, dweight (OC,IC) +=, dbias (OC) +=
  // each thread takes a range of dinp rows and a range of dweight rows (out-channels)
  matmulBackward(
    dinp: Arr | null, dweight: Arr | null, dbias: Arr | null, dout: Arr, inp: Arr, weight: Arr,
    N: number, IC: number, OC: number, scale: number,
  ): boolean {
    const work = N * IC * OC * ((dinp ? 1 : 0) + (dweight ? 1 : 0));
    if (!this.active || work < MIN_PARALLEL_MACS || !allShared(dinp, dweight, dbias, dout, inp, weight)) return false;
    const rows = ranges(N, this.threads, 1);
    const ocs = ranges(OC, this.threads, 1);
    return this.run(rows.map(([rowStart, rowEnd], i) => ({
      kind: "matmulBackward", dinp, dweight, dbias, dout, inp, weight, N, IC, OC, scale, rowStart, rowEnd,
      ocStart: ocs[i]![0], ocEnd: ocs[i]![1],
    })));
  }

  // h (N,C), wte (V,C), targets (N) -> losses (N), lse (N); rows are independent
  classifierForward(losses: Arr, lse: Arr, h: Arr, wte: Arr, targets: Ids, N: number, C: number, V: number): boolean {
    if (!this.active || N < this.threads || N * C * V < MIN_PARALLEL_MACS || !allShared(losses, lse, h, wte, targets)) return false;
    return this.run(ranges(N, this.threads, 1).map(([a, b]) => ({
      kind: "classifierForward", losses: losses.subarray(a, b), lse: lse.subarray(a, b), h: h.subarray(a * C, b * C), wte,
      targets: targets.subarray(a, b), N: b - a, C, V,
    })));
  }

  // -> dh (N,C) += with rows split among the threads; then, in full training, dwte (V,C) += with the vocabulary
  // chunks split (each thread recomputes its chunks' logits for every row, since every token adds into every row)
  classifierBackward(
    dh: Arr, dwte: Arr | null, h: Arr, wte: Arr, targets: Ids, lse: Arr, dloss: number, N: number, C: number, V: number,
  ): boolean {
    if (!this.active || N < this.threads || N * C * V < MIN_PARALLEL_MACS || !allShared(dh, dwte, h, wte, targets, lse)) return false;
    const chunks = Math.ceil(V / VOCAB_CHUNK);
    this.run(ranges(N, this.threads, 1).map(([a, b]) => ({
      kind: "classifierBackward", dh: dh.subarray(a * C, b * C), dwte: null, h: h.subarray(a * C, b * C), wte,
      targets: targets.subarray(a, b), lse: lse.subarray(a, b), dloss, N: b - a, C, V, chunkStart: 0, chunkEnd: chunks,
    })));
    if (dwte) {
      this.run(ranges(chunks, this.threads, 1).map(([chunkStart, chunkEnd]) => ({
        kind: "classifierBackward", dh: null, dwte, h, wte, targets, lse, dloss, N, C, V, chunkStart, chunkEnd,
      })));
    }
    return true;
  }

  // causal GQA attention: threads take ranges of (sequence, key/value head) groups, which write disjoint rows
  attentionForward(out: Arr, lse: Arr, q: Arr, k: Arr, v: Arr, d: AttentionDims): boolean {
    const groups = d.B * d.NKV;
    if (!this.active || groups < 2 || attentionMacs(d) < MIN_PARALLEL_MACS || !allShared(out, lse, q, k, v)) return false;
    return this.run(ranges(groups, this.threads, 1).map(([gStart, gEnd]) => ({ kind: "attentionForward", out, lse, q, k, v, d, gStart, gEnd })));
  }

  attentionBackward(dq: Arr, dk: Arr, dv: Arr, dout: Arr, q: Arr, k: Arr, v: Arr, out: Arr, lse: Arr, d: AttentionDims): boolean {
    const groups = d.B * d.NKV;
    if (!this.active || groups < 2 || attentionMacs(d) < MIN_PARALLEL_MACS || !allShared(dq, dk, dv, dout, q, k, v, out, lse)) return false;
    return this.run(ranges(groups, this.threads, 1).map(([gStart, gEnd]) => ({
      kind: "attentionBackward", dq, dk, dv, dout, q, k, v, out, lse, d, gStart, gEnd,
    })));
  }

  // Mamba's scan: threads take ranges of channels, which write disjoint columns (and state rows)
  scanForward(y: Arr, hs: Arr | null, u: Arr, dt: Arr, Alog: Arr, Bm: Arr, Cm: Arr, D: Arr, d: ScanDims, state: Arr | null): boolean {
    if (!this.active || d.DI < this.threads || d.B * d.T * d.DI * d.DS < MIN_PARALLEL_MACS || !allShared(y, hs, u, dt, Alog, Bm, Cm, D, state)) return false;
    return this.run(ranges(d.DI, this.threads, 1).map(([c0, c1]) => ({ kind: "scanForward", y, hs, u, dt, Alog, Bm, Cm, D, d, state, c0, c1 })));
  }

  /**
   * The scan's backward over channel groups [g0, g1) of `group` channels; `partB`, `partC` (nGroups, B*T*DS) take each
   * group's dBm / dCm (the caller zeroes them and adds them up in group order, so any split sums alike).
   */
  scanBackwardGroups(
    tasks: { g0: number; g1: number }[], group: number, partB: Arr, partC: Arr,
    du: Arr, ddt: Arr, dAlog: Arr | null, dD: Arr | null, dy: Arr, u: Arr, dt: Arr, Alog: Arr, Bm: Arr, Cm: Arr, D: Arr, hs: Arr, d: ScanDims,
  ): boolean {
    if (!this.active || !allShared(partB, partC, du, ddt, dAlog, dD, dy, u, dt, Alog, Bm, Cm, D, hs)) return false;
    const n = d.B * d.T * d.DS;
    const all: Task[] = [];
    for (const { g0, g1 } of tasks) {
      for (let g = g0; g < g1; g++) {
        all.push({
          kind: "scanBackward", du, ddt, dAlog, dBm: partB.subarray(g * n, (g + 1) * n), dCm: partC.subarray(g * n, (g + 1) * n), dD,
          dy, u, dt, Alog, Bm, Cm, D, hs, d, c0: g * group, c1: Math.min(d.DI, (g + 1) * group),
        });
      }
    }
    return this.run(tasks.map(({ g0, g1 }) => ({ kind: "sequence", tasks: all.slice(g0, g1) }))); // a thread's groups in order
  }

  /** WebAssembly kernel tasks (or sequences of them), one per thread; false when the pool is not ready. */
  runWasm(tasks: Task[]): boolean {
    if (!this.active || !this.wasm) return false;
    return this.run(tasks);
  }

  /** tasks[0] runs here, tasks[i] on worker i - 1; returns when all are done. */
  private run(tasks: Task[]): true {
    const ctrl = this.ctrl;
    Atomics.store(ctrl, DONE, 0);
    for (let i = 1; i < tasks.length; i++) {
      const w = i - 1;
      if (this.claim(w)) {
        if (encodeTask(tasks[i]!, this.mail.slots, w * MAIL_SLOTS)) {
          this.mailed++;
          this.deliver(w);
          continue;
        }
        this.mail.slots[w * MAIL_SLOTS] = -1; // not mailable: back to the event loop, then the message
        this.deliver(w);
      }
      this.workers[w]!.post({ kind: "run", task: tasks[i]! });
    }
    this.dispatched += tasks.length - 1;
    try {
      runTask(tasks[0]!, this.wasm?.k ?? null);
    } finally {
      // wait even if our own share threw: the workers are still writing into the caller's buffers
      const want = tasks.length - 1;
      for (let i = 0; i < SPIN && Atomics.load(ctrl, DONE) < want; i++);
      for (let done = Atomics.load(ctrl, DONE); done < want; done = Atomics.load(ctrl, DONE)) Atomics.wait(ctrl, DONE, done);
    }
    if (Atomics.load(ctrl, FAILED)) {
      Atomics.store(ctrl, FAILED, 0);
      const len = this.errorText.indexOf(0);
      throw new PoolError(`a CPU backend worker failed: ${new TextDecoder().decode(this.errorText.slice(0, len < 0 ? ERROR_BYTES : len))}`);
    }
    return true;
  }
}

/** [0, n) cut into `parts` ranges (some possibly empty) whose boundaries are multiples of `align`. */
export function ranges(n: number, parts: number, align: number): [number, number][] {
  const step = Math.ceil(n / parts / align) * align;
  return Array.from({ length: parts }, (_, i) => [Math.min(n, i * step), Math.min(n, (i + 1) * step)]);
}

/** Multiply-adds of one attention forward (scores and the weighted sum, over the causal triangle). */
export function attentionMacs(d: AttentionDims): number {
  return 2 * d.B * d.NH * d.HS * d.Tq * (d.Tk - (d.Tq - 1) / 2);
}

function allShared(...arrs: (Arr | Ids | null)[]): boolean {
  return arrs.every((a) => a === null || a.buffer instanceof SharedArrayBuffer);
}

/** Threads need shared memory and a thread allowed to block (not a browser page's main thread). */
function canBlock(): boolean {
  if (typeof SharedArrayBuffer === "undefined" || typeof Atomics === "undefined") return false; // not cross-origin isolated
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // "not-equal" at once where waiting is allowed
  } catch {
    return false;
  }
  return isNode() || typeof Worker !== "undefined";
}

function isNode(): boolean {
  return typeof process !== "undefined" && typeof process.getBuiltinModule === "function";
}

function spawn(onReady: () => void, onError: (e: Error) => void, onExit: () => void): PoolWorker {
  if (isNode()) {
    const { Worker: NodeWorker } = process.getBuiltinModule("node:worker_threads");
    // (not a `new URL("literal", import.meta.url)`: Vite would copy the file as an asset for this Node-only branch)
    const file = new URL(new URL(import.meta.url).pathname.endsWith(".ts") ? "./pool-worker.ts" : "./pool-worker.js", import.meta.url);
    let w: InstanceType<typeof NodeWorker>;
    if (file.pathname.endsWith(".ts")) {
      let tsx: string;
      try {
        tsx = import.meta.resolve("tsx/esm/api");
      } catch {
        throw new PoolError("CpuBackend threads > 1 in Node loads its TypeScript worker through tsx: install tsx, or use threads: 1");
      }
      const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); });`;
      w = new NodeWorker(boot, { eval: true });
    } else {
      w = new NodeWorker(file);
    }
    w.on("message", (m) => {
      if (m !== "ready") return;
      w.unref(); // an idle pool does not keep Node alive (only once started: `await ready()` must keep it alive)
      onReady();
    });
    w.on("error", onError);
    w.on("exit", onExit);
    return { post: (msg) => w.postMessage(msg), terminate: async () => void (await w.terminate()) };
  }
  const w = new Worker(new URL("./pool-worker.ts", import.meta.url), { type: "module", name: "cpu-matmul" });
  w.onmessage = (e) => e.data === "ready" && onReady();
  w.onerror = (e) => onError(new Error(e.message));
  return {
    post: (msg) => w.postMessage(msg),
    terminate: async () => {
      w.terminate();
      onExit();
    },
  };
}
