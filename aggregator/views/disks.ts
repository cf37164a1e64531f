// /api/v1/disks: the image filesystem of every node, the fullest first.

import type { DiskReport } from "../../core/protocol/index.js";
import type { NodeRecord } from "../cluster-state.js";
import { compareText, staleness, type ViewOptions } from "./common.js";
import { pageFields, pageOf, pageQuery } from "./page.js";
import { defineView } from "./view.js";

/** The node condition pullmedic sets when the image filesystem is near kubelet's GC threshold. */
const IMAGE_FS_PRESSURE_CONDITION = "ImageFsPressure";

export interface DiskNodeView {
  node: string;
  stale: boolean;
  disks: DiskReport[];
  /** The fullest filesystem's used share (0..100); 0 when the node reported none. */
  highestUsedPercent: number;
  /** The node's ImageFsPressure condition is True. */
  pressure: boolean;
  /** A report has arrived; without one the disks are unknown, not empty. */
  reported: boolean;
}

export function disksView(nodes: NodeRecord[], now: number, opts?: ViewOptions): DiskNodeView[] {
  const isStale = staleness(opts);
  return nodes
    .map((rec) => {
      const r = rec.report;
      const disks = r?.disks ?? [];
      return {
        node: rec.node,
        stale: isStale(rec, now),
        disks,
        highestUsedPercent: disks.reduce((max, d) => Math.max(max, d.usedPercent), 0),
        pressure: (r?.conditions ?? []).some((c) => c.type === IMAGE_FS_PRESSURE_CONDITION && c.status === "True"),
        reported: r !== undefined,
      };
    })
    .sort((a, b) => b.highestUsedPercent - a.highestUsedPercent || compareText(a.node, b.node));
}

export const disksApi = defineView({
  name: "disks",
  path: "/api/v1/disks",
  query: pageQuery(500, 5000),
  compute: ({ state, now, options }, { limit, continue: offset }) => {
    const page = pageOf(disksView(state.nodes(), now, options), limit, offset);
    return { disks: page.items, ...pageFields(page) };
  },
});
