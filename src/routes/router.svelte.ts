// router.svelte.ts — tiny hash router: maps `#/data`, `#/train`, `#/playground`, `#/export`, `#/benchmark` to a route id.
// Unknown or empty hashes fall back to `#/data` (rewritten in place, so Back is not polluted).

export const ROUTES = [
  { id: "data", label: "Data" },
  { id: "train", label: "Train" },
  { id: "playground", label: "Playground" },
  { id: "export", label: "Export" },
  { id: "benchmark", label: "Benchmark" },
] as const;

export type RouteId = (typeof ROUTES)[number]["id"];

export const DEFAULT_ROUTE: RouteId = "data";

/** Reads the route id out of a hash like `#/train` or `#/train?x=1`; null when it is not a known route. */
export function parseHash(hash: string): RouteId | null {
  const id = hash.replace(/^#\/?/, "").split(/[/?#]/)[0] ?? "";
  return ROUTES.some((r) => r.id === id) ? (id as RouteId) : null;
}

export function hrefFor(id: RouteId): string {
  return `#/${id}`;
}

export class Router {
  current = $state<RouteId>(DEFAULT_ROUTE);

  constructor() {
    this.sync();
    window.addEventListener("hashchange", () => this.sync());
  }

  /** Navigates to a route (adds a history entry). */
  go(id: RouteId): void {
    window.location.hash = hrefFor(id);
  }

  private sync(): void {
    const id = parseHash(window.location.hash);
    if (id) {
      this.current = id;
    } else {
      this.current = DEFAULT_ROUTE;
      history.replaceState(history.state, "", hrefFor(DEFAULT_ROUTE));
    }
  }
}

export const router = new Router();
