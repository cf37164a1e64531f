// A view as /api/v1/* serves it: its name, its path, the query parameters it reads and the
// function that computes its JSON body. The HTTP side serves every view of the list in
// views/index.ts; adding a view is its file and one line there.

import type { ClusterState } from "../cluster-state.js";
import { type ParsedQuery, parseQuery, type QuerySpec } from "../query.js";
import type { Store } from "../store/index.js";
import type { ViewOptions } from "./common.js";

/** The nodes a view reads: the cluster state, or the view thread's copy of it. */
export type NodeSource = Pick<ClusterState, "nodes" | "isStale">;

/** What a view is computed from, for one request. */
export interface ViewContext {
  state: NodeSource;
  store: Pick<Store, "latestCommands" | "findingsPage">;
  /** The request's time, ms epoch; also the body's generatedAt. */
  now: number;
  /** The cluster state's staleness setting, which every view applies. */
  options: ViewOptions;
}

export interface View {
  name: string;
  /** Where the API serves it, e.g. /api/v1/nodes. */
  path: string;
  /** The query parameters it reads, in the order they are checked. */
  query: readonly string[];
  /**
   * What it reads of the store: nothing (computed from the nodes alone, so the view thread can),
   * the latest pre-pull commands (that many, read where the request is and handed over), or
   * queries of its own (computed where the store is).
   */
  reads: { commands?: number; queries?: boolean };
  /** The body (generatedAt aside); rejects with a QueryProblem naming a bad parameter. */
  compute(ctx: ViewContext, params: URLSearchParams): Promise<Record<string, unknown>>;
}

export function defineView<Q extends QuerySpec>(view: {
  name: string;
  path: string;
  query?: Q;
  reads?: View["reads"];
  compute(ctx: ViewContext, query: ParsedQuery<Q>): Record<string, unknown> | Promise<Record<string, unknown>>;
}): View {
  const spec = view.query ?? ({} as Q);
  return {
    name: view.name,
    path: view.path,
    query: Object.keys(spec),
    reads: view.reads ?? {},
    compute: async (ctx, params) => view.compute(ctx, parseQuery(spec, params, ctx.now)),
  };
}
