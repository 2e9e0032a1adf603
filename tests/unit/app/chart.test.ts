import { describe, expect, test } from "vitest";
import { linearScale, niceTicks, pathOf, smooth } from "../../../src/routes/train/chart.ts";

describe("loss chart geometry", () => {
  test("nice ticks are 1/2/5 steps inside the range", () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(2.13, 3.87, 4)).toEqual([2.5, 3, 3.5]);
    expect(niceTicks(1, 1)).toEqual([1]);
  });
  test("a scale maps the ends of the domain to the ends of the range", () => {
    const y = linearScale(2, 4, 100, 0);
    expect(y(2)).toBe(100);
    expect(y(4)).toBe(0);
    expect(y(3)).toBe(50);
  });
  test("paths break at non-finite values", () => {
    const id = (v: number) => v;
    expect(pathOf([[0, 1], [1, 2], [2, NaN], [3, 4]], id, id)).toBe("M0.0 1.0 L1.0 2.0 M3.0 4.0");
  });
  test("smoothing averages the last points", () => {
    expect(smooth([[1, 4], [2, 2], [3, 0]], 2)).toEqual([[1, 4], [2, 3], [3, 1]]);
  });
});
