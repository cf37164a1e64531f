// Node conditions pullmedic owns, written to nodes/<node>/status and — unlike a detector that only
// ever sets them — cleared when the problem ends. Only changes and a slow heartbeat are written.

import type { Logger } from "../../core/log/index.js";
import type { KubeApi, NodeCondition } from "../kube/index.js";
import { nextConditions, OWNED_CONDITION_TYPES } from "./conditions.js";

export interface WantedCondition {
  type: string;
  status: NodeCondition["status"];
  reason: string;
  message: string;
}

export class NodeConditionWriter {
  private current: NodeCondition[] | undefined;
  private loaded = false;
  /** Conditions pullmedic set before and no longer checks, to be written once as Unknown. */
  private retired: WantedCondition[] = [];
  private writing: Promise<void> = Promise.resolve();
  /** The latest write's outcome, for /v1/state. */
  lastError: string | undefined;

  constructor(
    private readonly api: KubeApi,
    private readonly nodeName: string,
    private readonly log: Logger,
    private readonly heartbeatMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  conditions(): NodeCondition[] {
    return this.current ?? [];
  }

  /** Writes whatever differs from what the node carries; one write at a time, in order. */
  update(wanted: WantedCondition[]): Promise<void> {
    const next = this.writing.then(() => this.write(wanted));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async write(wanted: WantedCondition[]): Promise<void> {
    try {
      if (!this.loaded) {
        // What the node already carries (a previous agent's True) decides the transition times.
        const node = await this.api.getNode(this.nodeName);
        const checked = new Set(wanted.map((w) => w.type));
        this.current = (node.status?.conditions ?? []).filter((c) => OWNED_CONDITION_TYPES.includes(c.type));
        // A check turned off since an earlier run would leave its last word (say True) on the node for good.
        this.retired = this.current
          .filter((c) => !checked.has(c.type) && c.status !== "Unknown")
          .map((c) => ({
            type: c.type,
            status: "Unknown",
            reason: "NotChecked",
            message: "pullmedic no longer checks this on this node (the check is turned off in its configuration)",
          }));
        this.loaded = true;
      }
      const patch = nextConditions(this.current, [...wanted, ...this.retired], this.now(), this.heartbeatMs);
      if (patch === undefined) return;
      await this.api.patchNodeConditions(this.nodeName, patch);
      this.retired = [];
      for (const c of patch) {
        const before = this.current?.find((p) => p.type === c.type);
        if (before?.status !== c.status) this.log.info(`node condition ${c.type}=${c.status} (${c.reason ?? ""}): ${c.message ?? ""}`);
      }
      const byType = new Map((this.current ?? []).map((c) => [c.type, c]));
      for (const c of patch) byType.set(c.type, c);
      this.current = [...byType.values()];
      this.lastError = undefined;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (this.lastError !== message) this.log.warn(`cannot write node conditions on ${this.nodeName}: ${message}`);
      this.lastError = message;
    }
  }
}
