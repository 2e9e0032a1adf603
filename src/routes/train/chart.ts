// chart.ts — the loss chart's geometry, pure: scales from the data's extent to the drawing box, "nice" tick values,
// and SVG path strings. The component (LossChart.svelte) only draws what these return.

export interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface Scale {
  (v: number): number;
  ticks: number[];
}

/** 1, 2 or 5 times a power of ten: ticks for [lo, hi] with about `count` steps. */
export function niceTicks(lo: number, hi: number, count = 4): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function linearScale(lo: number, hi: number, from: number, to: number, count = 4): Scale {
  const span = hi > lo ? hi - lo : 1;
  const s = ((v: number) => from + ((v - lo) / span) * (to - from)) as Scale;
  s.ticks = niceTicks(lo, hi, count);
  return s;
}

/** "M x y L x y ..." through the points (non-finite values break the line). */
export function pathOf(points: readonly (readonly [number, number])[], x: (v: number) => number, y: (v: number) => number): string {
  let d = "";
  let pen = false;
  for (const [a, b] of points) {
    if (!Number.isFinite(b)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${x(a).toFixed(1)} ${y(b).toFixed(1)} `;
    pen = true;
  }
  return d.trim();
}

/** A moving average over `window` points (the raw per-step loss is noisy). */
export function smooth(points: readonly (readonly [number, number])[], window = 5): [number, number][] {
  return points.map(([x], i) => {
    const from = Math.max(0, i - window + 1);
    const slice = points.slice(from, i + 1).filter(([, v]) => Number.isFinite(v));
    return [x, slice.length ? slice.reduce((a, [, v]) => a + v, 0) / slice.length : NaN];
  });
}
