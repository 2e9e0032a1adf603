// The pure parts of the chunked download (src/lib/model/chunk-cache.ts): chunk and range planning, and the splitter
// that cuts one body into chunk-sized streams: exact lengths across the source's piece boundaries, views not copies,
// a short or broken source told apart. The Cache API side is covered through hubFiles (browser-files.test.ts, e2e).

import { describe, expect, it } from "vitest";
import { ByteSplitter, missingRuns, planChunks, rangeHeader } from "../../../src/lib/model/chunk-cache.ts";

/** A stream handing out `pieces` one per read, then ending, or erroring with `error`. */
function source(pieces: Uint8Array[], error?: Error): ReadableStreamDefaultReader<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < pieces.length) c.enqueue(pieces[i++]!);
      else if (error) c.error(error);
      else c.close();
    },
  }).getReader();
}
const bytes = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 255);
const all = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

describe("range planning", () => {
  it("cuts a file into chunks, the last one short", () => {
    expect(planChunks(10, 4)).toEqual([
      { index: 0, begin: 0, end: 4 },
      { index: 1, begin: 4, end: 8 },
      { index: 2, begin: 8, end: 10 },
    ]);
    expect(planChunks(8, 4).map((c) => c.end)).toEqual([4, 8]);
    expect(planChunks(0, 4)).toEqual([]);
    expect(() => planChunks(10, 0)).toThrow("chunkBytes must be a positive integer, not 0");
    expect(() => planChunks(10, 1.5)).toThrow(RangeError);
  });

  it("asks for each run of missing chunks once, in order", () => {
    expect(missingRuns([true, true, false, false, true, false])).toEqual([[2, 3], [5, 5]]);
    expect(missingRuns([false, false, false])).toEqual([[0, 2]]);
    expect(missingRuns([true, true])).toEqual([]);
    expect(missingRuns([])).toEqual([]);
    const chunks = planChunks(10, 4);
    expect(rangeHeader(chunks[1]!, chunks[2]!)).toBe("bytes=4-9");
    expect(rangeHeader(chunks[0]!, chunks[0]!)).toBe("bytes=0-3");
  });
});

describe("ByteSplitter", () => {
  it("hands out exact lengths across piece boundaries, as views, and counts them", async () => {
    const whole = bytes(23);
    const pieces = [whole.subarray(0, 5), whole.subarray(5, 6), whole.subarray(6, 23)];
    let counted = 0;
    const s = new ByteSplitter(source(pieces), (n) => (counted += n));
    expect(await all(s.take(4))).toEqual(bytes(4));
    await s.skip(4); // 4..8, across two pieces
    const reader = s.take(10).getReader();
    const first = (await reader.read()).value!;
    expect(first.buffer).toBe(whole.buffer); // a view of the source's buffer
    let got = first;
    for (let r = await reader.read(); !r.done; r = await reader.read()) got = new Uint8Array([...got, ...r.value]);
    expect(got).toEqual(bytes(10, 8));
    expect(await s.atEnd()).toBe(false);
    expect(await all(s.take(5))).toEqual(bytes(5, 18));
    expect(await s.atEnd()).toBe(true);
    expect([s.received, counted]).toEqual([19, 19]); // skipped bytes are not counted
  });

  it("a source ending early or erroring errors the chunk, and says which", async () => {
    const short = new ByteSplitter(source([bytes(3)]));
    await expect(all(short.take(4))).rejects.toThrow("the body ended early");
    expect([short.short, short.broken, short.received]).toEqual([true, undefined, 3]);

    const reset = new TypeError("connection reset");
    const broken = new ByteSplitter(source([bytes(6)], reset));
    expect(await all(broken.take(4))).toEqual(bytes(4));
    await expect(all(broken.take(4))).rejects.toThrow("connection reset");
    expect([broken.short, broken.broken, broken.received]).toEqual([false, reset, 6]);
  });
});
