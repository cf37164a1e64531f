// What the main thread and the view thread say to each other. The main thread hands over the nodes
// that changed since its last message (a node's report only when that changed: heartbeats and
// disconnects send the small fields alone), then asks for a view; the thread answers with the
// body, or with the problem a bad query parameter is. One port, so the thread sees the changes
// before the request that follows them.

import type { NodeChange } from "../cluster-state.js";
import type { StoredCommand } from "../store/index.js";

/** A changed node as handed over: without its report when `report` is false (the copy keeps the one it has). */
export type ChangedNode = NodeChange;

export type ToViewThread =
  | { kind: "changes"; changed: ChangedNode[]; dropped: string[] }
  | {
      kind: "compute";
      id: number;
      /** The view's name (views/index.ts VIEWS). */
      view: string;
      /** The request's query string, without "?". */
      search: string;
      now: number;
      staleAfterIntervals: number;
      /** The latest pre-pull commands, for a view that reads them (View.reads.commands). */
      commands: StoredCommand[];
    };

export type FromViewThread =
  | { kind: "answer"; id: number; body: string }
  /** A bad query parameter: a 400 naming it. */
  | { kind: "problem"; id: number; message: string }
  | { kind: "failed"; id: number; message: string };
