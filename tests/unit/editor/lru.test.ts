// lru.test.ts — LruCache: capacity, eviction order, reads refresh an entry, has() does not.
import { describe, expect, test } from "vitest";
import { LruCache } from "../../../src/lib/editor/lru.ts";

describe("LruCache", () => {
  test("keeps at most `capacity` entries, evicting the least recently used", () => {
    const c = new LruCache<string, number>(2);
    c.set("a", 1).set("b", 2).set("c", 3);
    expect(c.size).toBe(2);
    expect(c.get("a")).toBeUndefined();
    expect(c.keys()).toEqual(["b", "c"]);
  });

  test("get refreshes an entry; has does not", () => {
    const c = new LruCache<string, number>(2);
    c.set("a", 1).set("b", 2);
    expect(c.get("a")).toBe(1);
    c.set("c", 3); // evicts b, read less recently than a
    expect(c.keys()).toEqual(["a", "c"]);
    expect(c.has("a")).toBe(true);
    c.set("d", 4); // has() did not refresh a
    expect(c.keys()).toEqual(["c", "d"]);
  });

  test("set on an existing key replaces the value and refreshes it", () => {
    const c = new LruCache<string, number>(2);
    c.set("a", 1).set("b", 2).set("a", 10).set("c", 3);
    expect(c.get("a")).toBe(10);
    expect(c.get("b")).toBeUndefined();
  });

  test("stores falsy values", () => {
    const c = new LruCache<string, string | number>(3);
    c.set("empty", "").set("zero", 0);
    expect(c.get("empty")).toBe("");
    expect(c.get("zero")).toBe(0);
  });

  test("delete and clear", () => {
    const c = new LruCache<number, string>(3);
    c.set(1, "x").set(2, "y");
    expect(c.delete(1)).toBe(true);
    expect(c.delete(1)).toBe(false);
    c.clear();
    expect(c.size).toBe(0);
  });

  test("rejects a capacity below 1 or not an integer", () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
    expect(() => new LruCache(1.5)).toThrow(/positive integer/);
  });
});
