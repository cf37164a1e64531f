import { countBy, type MetricFamily, type Sample, single } from "./family.js";

export const podWatchMetrics: readonly MetricFamily[] = [
  {
    name: "pullmedic_pods",
    help: "Pods bound to this node, as the pod watch sees them.",
    type: "gauge",
    labels: [],
    samples: (s) => single(s.podWatch()?.pods),
  },
  {
    name: "pullmedic_pull_failures",
    help: "Containers on this node failing to pull now, by diagnosed cause (pending: not diagnosed yet).",
    type: "gauge",
    labels: ["cause"],
    samples: (s) => countBy(s.podWatch()?.failures ?? [], "cause", (f) => f.cause ?? "pending"),
  },
  {
    // For alerts that name what fails and whose it is: bounded by the containers failing on the node.
    name: "pullmedic_pull_failing_containers",
    help: "Containers on this node failing to pull now, by namespace, image and diagnosed cause (pending: not diagnosed yet).",
    type: "gauge",
    labels: ["namespace", "image", "cause"],
    samples: (s) => failingByImage(s.podWatch()?.failures ?? []),
  },
  {
    name: "pullmedic_pull_failures_total",
    help: "Pull failures diagnosed since the agent started, by cause.",
    type: "counter",
    labels: ["cause"],
    samples: (s) => Object.entries(s.podWatch()?.totals.failuresByCause ?? {}).map(([cause, n]): Sample => [{ cause }, n]),
  },
  {
    name: "pullmedic_pull_recoveries_total",
    help: "Pull failures that ended with the container's image pulled.",
    type: "counter",
    labels: [],
    samples: (s) => single(s.podWatch()?.totals.recovered ?? 0),
  },
  {
    name: "pullmedic_pull_failure_seconds_total",
    help: "Summed duration of recovered pull failures (divide by pullmedic_pull_recoveries_total for the mean).",
    type: "counter",
    labels: [],
    samples: (s) => single(s.podWatch()?.totals.recoveredSeconds ?? 0),
  },
  {
    name: "pullmedic_pull_diagnoses_total",
    help: "Node-local diagnoses run for failing pods (shared by pods with the same image and secrets).",
    type: "counter",
    labels: [],
    samples: (s) => single(s.podWatch()?.totals.diagnoses ?? 0),
  },
  {
    name: "pullmedic_kube_events_total",
    help: "Events pullmedic wrote on pods, by what happened (created, patched, failed).",
    type: "counter",
    labels: ["action"],
    samples: (s) => {
      const t = s.podWatch()?.totals;
      return t
        ? [
            [{ action: "created" }, t.eventsCreated],
            [{ action: "patched" }, t.eventsPatched],
            [{ action: "failed" }, t.eventErrors],
          ]
        : [];
    },
  },
  {
    name: "pullmedic_kube_watch_restarts_total",
    help: "Pod watch restarts: relist after 410 Gone, reconnect after an error.",
    type: "counter",
    labels: ["reason"],
    samples: (s) => {
      const w = s.podWatch()?.watch;
      return w
        ? [
            [{ reason: "relist" }, w.relists],
            [{ reason: "reconnect" }, w.reconnects],
          ]
        : [];
    },
  },
  {
    name: "pullmedic_kube_watch_up",
    help: "1 while the pod watch is connected and watching.",
    type: "gauge",
    labels: [],
    samples: (s) => {
      const w = s.podWatch()?.watch;
      return single(w && (w.state === "watching" ? 1 : 0));
    },
  },
  {
    name: "pullmedic_pull_detection_seconds",
    help: "From the watch event showing a pull failure to the posted diagnosis, per open failure (latest).",
    type: "gauge",
    labels: [],
    samples: (s) => {
      const ms = (s.podWatch()?.failures ?? []).flatMap((f) => (f.detectionMs === undefined ? [] : [f.detectionMs]));
      return single(ms.length ? Math.max(...ms) / 1000 : undefined);
    },
  },
  {
    name: "pullmedic_pull_hygiene_risks",
    help: "Pull-hygiene risks of this node's pods, by kind.",
    type: "gauge",
    labels: ["kind"],
    samples: (s) => countBy(s.podWatch()?.hygiene ?? [], "kind", (r) => r.kind),
  },
  {
    name: "pullmedic_pull_secret_ok",
    help: "1 when the pull Secret's credentials were accepted by the registry at the latest check (HEAD, no pull).",
    type: "gauge",
    labels: ["secret", "registry", "state"],
    samples: (s) => (s.podWatch()?.secrets ?? []).map((x): Sample => [{ secret: x.secret, registry: x.registry, state: x.state }, x.state === "ok" ? 1 : 0]),
  },
];

function failingByImage(failures: readonly { pod: string; image: string; cause?: string }[]): Sample[] {
  const by = new Map<string, { labels: Record<string, string>; n: number }>();
  for (const f of failures) {
    const labels = { namespace: f.pod.split("/")[0] ?? "", image: f.image, cause: f.cause ?? "pending" };
    const key = JSON.stringify(labels);
    const entry = by.get(key) ?? { labels, n: 0 };
    entry.n++;
    by.set(key, entry);
  }
  return [...by.values()].map(({ labels, n }): Sample => [labels, n]);
}
