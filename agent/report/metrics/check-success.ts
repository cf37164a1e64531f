import type { MetricFamily, Sample } from "./family.js";

export const checkSuccessMetrics: readonly MetricFamily[] = [
  {
    name: "pullmedic_check_success",
    help: "1 when the latest run of the check succeeded.",
    type: "gauge",
    labels: ["check"],
    samples: ({ state }) => state.checkRecords().map(([name, record]): Sample => [{ check: name }, record.ok ? 1 : 0]),
  },
];
