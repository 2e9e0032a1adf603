// The Vite dev server (the one `npm start` runs) answers the browser's icon requests: /favicon.ico (asked for by
// browsers whatever the page says) and the SVG the page links, instead of a 404 in the console on every load.

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type ViteDevServer } from "vite";

let server: ViteDevServer;
let base: string;
beforeAll(async () => {
  server = await createServer({ configFile: "vite.config.ts", logLevel: "silent", server: { port: 0, strictPort: false, open: false } });
  await server.listen();
  base = server.resolvedUrls!.local[0]!;
}, 60_000);
afterAll(async () => {
  await server?.close();
});

describe("favicon on the dev server", () => {
  it("/favicon.ico is an icon (16 and 32 px), /favicon.svg an SVG, and the page links both", async () => {
    const ico = await fetch(new URL("favicon.ico", base));
    expect(ico.status).toBe(200);
    const bytes = new Uint8Array(await ico.arrayBuffer());
    expect([...bytes.slice(0, 6)]).toEqual([0, 0, 1, 0, 2, 0]); // ICONDIR: reserved 0, type 1 (icon), 2 images
    expect([bytes[6], bytes[22]]).toEqual([16, 32]);

    const svg = await fetch(new URL("favicon.svg", base));
    expect(svg.status).toBe(200);
    expect(svg.headers.get("content-type")).toContain("image/svg+xml");
    expect(await svg.text()).toContain("<svg");

    const html = await (await fetch(base)).text();
    expect(html).toMatch(/<link rel="icon" href="\/favicon\.ico"/);
    expect(html).toMatch(/<link rel="icon" href="\/favicon\.svg" type="image\/svg\+xml"/);
    expect(readFileSync("index.html", "utf8")).toContain('href="/favicon.svg"');
  });
});
