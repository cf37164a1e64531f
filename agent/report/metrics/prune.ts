import { type MetricFamily, single } from "./family.js";

export const pruneMetrics: readonly MetricFamily[] = [
  {
    name: "pullmedic_prune_removed_images_total",
    help: "Images removed by pullmedic's prune since the agent started.",
    type: "counter",
    labels: [],
    samples: ({ state }) => single(state.result("prune")?.totals.removed ?? 0),
  },
  {
    name: "pullmedic_prune_freed_bytes_total",
    help: "Bytes freed by pullmedic's prune since the agent started (runtime sizes).",
    type: "counter",
    labels: [],
    samples: ({ state }) => single(state.result("prune")?.totals.freedBytes ?? 0),
  },
  {
    name: "pullmedic_prune_last_run_timestamp_seconds",
    help: "When prune last ran.",
    type: "gauge",
    labels: [],
    samples: ({ state }) => {
      const f = state.result("prune");
      return single(f && Date.parse(f.lastRunAt) / 1000);
    },
  },
];
