// The training loop: deterministic batches, gradient accumulation, global-norm clipping, AdamW with linear
// warmup and decay (transformers' get_linear_schedule_with_warmup). A non-finite loss or gradient norm stops the run
// (maxBadSteps in a row; 1 by default), before the update, so the weights and the last checkpoint stay finite.
// Works for LoRA (params = the adapters) and full training (params = every weight) alike. The optimizer walks spans:
// a ParamArena (lora.ts: every LoRA tensor) is one span, stepped by one call of each kernel; a param of its own is
// another. The kernels are elementwise, and an arena's gaps hold zeros that stay zero, so this is the per-tensor step.

import { Rng } from "../fim/prng.ts";
import { DEFAULT_PRESET as P } from "./presets.ts";
import type { Backend } from "./backend.ts";
import type { TokenizedSample } from "./data.ts";
import type { Param, ParamArena } from "./lora.ts";
import type { CausalLM, TrainWorkspace } from "./causal-lm.ts";

export interface TrainConfig {
  lr: number; // seed: 2e-4
  warmupSteps: number; // seed: 100, then linear decay to 0
  batchSize: number; // seed: 4 sequences per micro-batch
  gradAccum: number; // seed: 2 micro-batches per optimizer step
  epochs: number; // seed: 3 (ignored when steps is set)
  steps?: number; // optimizer steps instead of epochs
  contextLength: number; // seed: 1024
  clip: number; // global gradient-norm clip (1.0)
  weightDecay: number; // transformers' Trainer default: 0
  beta1: number;
  beta2: number;
  eps: number;
  seed: number;
  recompute: boolean; // activation recomputation per block, for large models
  /** Consecutive non-finite steps that stop the run (1: the first one; the update is never applied). */
  maxBadSteps: number;
}

/** FIM Studio's defaults (presets.ts DEFAULT_PRESET; a preset's step count is the caller's to apply), AdamW as transformers'. */
export const DEFAULT_TRAIN: Readonly<TrainConfig> = {
  lr: P.lr, warmupSteps: P.warmupSteps, batchSize: P.batchSize, gradAccum: P.gradAccum, epochs: P.epochs, contextLength: P.contextLength, clip: 1.0,
  weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, seed: 1, recompute: false, maxBadSteps: 1,
};

/**
 * The context a run trains at on a model: the one asked for, at most the model's max_position_embeddings (the
 * positions inference uses; training past them teaches positions no prompt reaches).
 */
export function trainingContext(want: number, maxPositions: number): number {
  return Math.min(want, maxPositions);
}

/** Learning rate for the update at 0-based `step` (transformers: the first update uses lr * 0 during warmup). */
export function lrAt(step: number, total: number, c: Pick<TrainConfig, "lr" | "warmupSteps">): number {
  if (step < c.warmupSteps) return (c.lr * step) / Math.max(1, c.warmupSteps);
  return c.lr * Math.max(0, (total - step) / Math.max(1, total - c.warmupSteps));
}

export interface StepResult {
  step: number; // 1-based count of steps taken (skipped ones included)
  loss: number; // mean loss per target token of this step
  gradNorm: number; // before clipping
  lr: number;
  tokens: number; // tokens run (padding excluded)
  skipped: boolean;
}

export class TrainingDivergedError extends Error {
  /** The step that went non-finite (1-based). */
  readonly step: number;
  /** `message` replaces the default one (a caller adding what it kept). */
  constructor(n: number, step: number, loss: number, gradNorm: number, lr: number, message?: string) {
    const what = !Number.isFinite(loss) ? `loss ${loss}` : `gradient norm ${gradNorm}`;
    super(
      message ??
      `training stopped at step ${step}: ${n > 1 ? `${n} steps in a row had a non-finite loss or gradient (last: ${what})` : `${what} is not finite`}; ` +
        `the weights from before this step are kept. Try a lower learning rate (now ${lr.toExponential(2)}), a lower clip, ` +
        `or check the base model's weights for NaN`,
    );
    this.step = step;
    this.name = "TrainingDivergedError";
  }
}

/** Optimizer state of one parameter. */
export interface Moments<T> {
  m: T;
  v: T;
}

/** What the optimizer steps as one tensor: an arena, or a param of its own; with its moments. */
interface Span<T> extends ParamArena<T>, Moments<T> {}

export class Trainer<T, I> {
  readonly ws: TrainWorkspace<T, I>;
  /** Per param: views of its span's moments where it lives in an arena. */
  readonly moments: Moments<T>[];
  private readonly spans: Span<T>[];
  readonly totalSteps: number;
  step = 0;
  private bad = 0;
  private readonly T: number;
  private readonly normBuf: T;

  constructor(
    readonly be: Backend<T, I>,
    readonly model: CausalLM<T, I>,
    readonly params: Param<T>[],
    readonly samples: readonly TokenizedSample[],
    readonly c: TrainConfig,
  ) {
    if (samples.length === 0) throw new Error("no training samples");
    this.T = Math.min(c.contextLength, Math.max(...samples.map((s) => s.ids.length)));
    this.ws = model.workspace(c.batchSize, this.T, c.recompute);
    const spans = new Map<ParamArena<T>, Span<T>>();
    const spanOf = (s: ParamArena<T>, name: string): Span<T> => {
      let span = spans.get(s);
      if (!span) {
        span = { ...s, m: be.alloc(s.n, `m:${name}`), v: be.alloc(s.n, `v:${name}`) };
        be.zero(span.m, s.n);
        be.zero(span.v, s.n);
        spans.set(s, span);
      }
      return span;
    };
    this.moments = params.map((p) => {
      const span = spanOf(p.at?.arena ?? p, p.at ? "arena" : p.name);
      return p.at ? { m: be.view(span.m, p.at.offset, p.n), v: be.view(span.v, p.at.offset, p.n) } : { m: span.m, v: span.v };
    });
    this.spans = [...spans.values()];
    const perStep = c.batchSize * c.gradAccum;
    this.totalSteps = c.steps ?? Math.ceil((c.epochs * samples.length) / perStep);
    this.normBuf = be.alloc(1);
  }

  /** The k-th sample of the run: epoch floor(k / n) in a seeded permutation of its own. */
  sampleAt(k: number): TokenizedSample {
    const n = this.samples.length;
    const epoch = Math.floor(k / n);
    if (epoch !== this.permEpoch) {
      const rng = Rng.forKey(this.c.seed, `epoch ${epoch}`);
      this.perm = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [this.perm[i], this.perm[j]] = [this.perm[j]!, this.perm[i]!];
      }
      this.permEpoch = epoch;
    }
    return this.samples[this.perm[k % n]!]!;
  }
  private perm: number[] = [];
  private permEpoch = -1;

  /** Puts up to batchSize samples into the workspace (padding: targets -1). */
  private fill(batch: readonly TokenizedSample[]): number {
    const { ws, T } = this;
    const ids = new Int32Array(ws.N);
    const tg = new Int32Array(ws.N).fill(-1);
    const pos = new Int32Array(ws.N);
    let tokens = 0;
    batch.forEach((s, b) => {
      const len = Math.min(T, s.ids.length);
      ids.set(s.ids.subarray(0, len), b * T);
      tg.set(s.targets.subarray(0, len), b * T);
      tokens += len;
    });
    for (let i = 0; i < ws.N; i++) pos[i] = i % T;
    this.be.writeIds(ws.ids, ids);
    this.be.writeIds(ws.targets, tg);
    this.be.writeIds(ws.pos, pos);
    return tokens;
  }

  private async lossSum(): Promise<number> {
    const l = await this.be.read(this.ws.losses, this.ws.N);
    let s = 0;
    for (let i = 0; i < l.length; i++) s += l[i]!;
    return s;
  }

  /** One optimizer step over batchSize × gradAccum samples. */
  async trainStep(): Promise<StepResult> {
    const { be, c, model } = this;
    const perStep = c.batchSize * c.gradAccum;
    const first = this.step * perStep;
    const micro = Array.from({ length: c.gradAccum }, (_, g) =>
      Array.from({ length: c.batchSize }, (_, b) => this.sampleAt(first + g * c.batchSize + b)),
    );
    const lossTokens = micro.flat().reduce((a, s) => a + s.lossTokens, 0);
    for (const s of this.spans) be.zero(s.grad, s.n);
    let lossSum = 0;
    let tokens = 0;
    for (const batch of micro) {
      tokens += this.fill(batch);
      model.forward(this.ws);
      lossSum += await this.lossSum();
      model.backward(this.ws, 1 / Math.max(1, lossTokens));
    }
    be.sumSquares(this.normBuf, this.spans.map((s) => [s.grad, s.n] as const));
    const gradNorm = Math.sqrt((await be.read(this.normBuf, 1))[0]!);
    const loss = lossSum / Math.max(1, lossTokens);
    const lr = lrAt(this.step, this.totalSteps, c);
    this.step++;
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      if (++this.bad >= c.maxBadSteps) throw new TrainingDivergedError(this.bad, this.step, loss, gradNorm, c.lr);
      return { step: this.step, loss, gradNorm, lr, tokens, skipped: true };
    }
    this.bad = 0;
    if (gradNorm > c.clip) for (const s of this.spans) be.scale(s.grad, s.n, c.clip / (gradNorm + 1e-6));
    for (const s of this.spans) {
      be.adamw(s.buf, s.grad, s.m, s.v, s.n, { lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weightDecay, t: this.step });
    }
    return { step: this.step, loss, gradNorm, lr, tokens, skipped: false };
  }

  /** Mean loss per target token over `samples` (forward only). */
  async evaluate(samples: readonly TokenizedSample[]): Promise<number> {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < samples.length; i += this.c.batchSize) {
      const batch = samples.slice(i, i + this.c.batchSize).map((s) =>
        s.ids.length <= this.T ? s : { ...s, ids: s.ids.subarray(0, this.T), targets: s.targets.subarray(0, this.T) },
      );
      this.fill(batch);
      this.model.forward(this.ws);
      sum += await this.lossSum();
      count += batch.reduce((a, s) => a + s.targets.reduce((n, t) => n + (t >= 0 ? 1 : 0), 0), 0);
    }
    return sum / Math.max(1, count);
  }
}
