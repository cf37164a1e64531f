import { type MetricFamily, single } from "./family.js";

/** The stream to the aggregator, as the reporter's status shows it. */
export const aggregatorLinkMetrics: readonly MetricFamily[] = [
  {
    name: "pullmedic_report_connected",
    help: "1 while the stream to the aggregator is open.",
    type: "gauge",
    labels: [],
    samples: (s) => {
      const r = s.reporter();
      return single(r && (r.connected ? 1 : 0));
    },
  },
  {
    name: "pullmedic_report_buffered_findings",
    help: "Findings waiting for the aggregator's acknowledgement.",
    type: "gauge",
    labels: [],
    samples: (s) => single(s.reporter()?.buffered),
  },
  {
    name: "pullmedic_report_dropped_findings_total",
    help: "Findings dropped because the buffer was full while the aggregator was away.",
    type: "counter",
    labels: [],
    samples: (s) => single(s.reporter()?.dropped ?? 0),
  },
  {
    name: "pullmedic_report_acked_total",
    help: "Messages the aggregator acknowledged.",
    type: "counter",
    labels: [],
    samples: (s) => single(s.reporter()?.acked ?? 0),
  },
  {
    name: "pullmedic_report_reconnects_total",
    help: "Connections to the aggregator after the first.",
    type: "counter",
    labels: [],
    samples: (s) => single(s.reporter()?.reconnects ?? 0),
  },
];
