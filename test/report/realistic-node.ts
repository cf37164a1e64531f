// A realistic node's report and how it changes from one 30 s report to the next, for the delta
// tests and the report-delta bench. The node is the aggregator bench's (test/bench/aggregator.bench.ts:
// containerd, one image filesystem, 80 images, three registries, one Docker Hub quota reading, three
// pre-pulled images, an open pull failure, two conditions), with the pod hygiene risks and pull
// Secrets a node of a busy cluster has. Its changes follow the agent's default check intervals:
//
// - disks: every report (the image filesystem's free bytes move with every write);
// - registries: every 2nd report (probed every minute, the latency changes);
// - pulls: an image pull in flight during 1 report in 10, its progress changing;
// - images, hygiene: every 20th report (pods come and go: an image pulled, a risk gone);
// - quota: every 20th report (read every 10 minutes);
// - failures, conditions: every 60th report (a failure opens or closes twice an hour);
// - prune: every 120th report (hourly), prepull: never within the hour (every 6 hours).

import type { NodeReport, PullInFlight } from "../../core/protocol/index.js";

export const REPORT_INTERVAL_MS = 30_000;
const T0 = 1_780_000_000_000;

function failure(i: number, now: number) {
  return {
    pod: `shop/api-${i}`,
    container: "api",
    image: "ghcr.io/acme/api:9.9",
    registry: "ghcr.io",
    reason: "ImagePullBackOff",
    cause: "not-found",
    summary: "ghcr.io has no acme/api:9.9",
    fix: ["kubectl set image deployment/api api=ghcr.io/acme/api:2.4 -n shop"],
    sinceMs: now - 60_000,
    impact: 1,
    note: "",
  };
}

function pull(tick: number, now: number): PullInFlight {
  return {
    image: "ghcr.io/acme/worker:3.1",
    registry: "ghcr.io",
    manifest: "sha256:5f0c1e2d3b4a59687766554433221100ffeeddccbbaa99887766554433221100",
    pods: ["jobs/worker-7f9c"],
    bytesDone: 40e6 * ((tick % 10) + 1),
    bytesTotal: 450e6,
    layersDone: tick % 10,
    layersTotal: 12,
    bytesPerSecond: 1.4e6,
    etaSeconds: 300 - 30 * (tick % 10),
    startedMs: now - 30_000 * (tick % 10),
    stalled: false,
    idleMs: 0,
    summary: "",
    fix: [],
  };
}

/** The node's report at report number `tick` (0, 1, 2 … one per 30 s). */
export function realisticReport(tick: number): NodeReport {
  const now = T0 + tick * REPORT_INTERVAL_MS;
  const every = (n: number) => Math.floor(tick / n);
  const pods = every(20);
  return {
    observedAtMs: now,
    runtime: "containerd 1.7.24",
    runtimeProblem: "",
    disks: [
      {
        mountpoint: "/var/lib/containerd",
        capacityBytes: 100e9,
        availableBytes: 40e9 - tick * 7_340_032,
        usedPercent: 60 + tick / 1000,
        inodesFree: 5e6 - tick * 37,
      },
    ],
    images: { count: 80 + (pods % 3), bytes: 12e9 + (pods % 3) * 150e6, inUse: 30 + (pods % 2), sandboxImage: "registry.k8s.io/pause:3.10" },
    registries: ["docker.io", "ghcr.io", "registry.k8s.io"].map((registry, i) => ({
      registry,
      ok: true,
      failingStep: "",
      error: "",
      certificateExpiresMs: T0 + 30 * 86_400_000,
      latencyMs: 12 + i + (every(2) % 7) * 0.37,
    })),
    quota: [{ source: "192.0.2.14", limit: 100, remaining: 60 - (every(20) % 40), windowSeconds: 21600, observedAtMs: T0 + every(20) * 600_000 }],
    prepull: ["registry.k8s.io/pause:3.10", "ghcr.io/acme/api:2.4", "docker.io/library/nginx:1.27"].map((image) => ({
      image,
      state: "present",
      cause: "",
      summary: "",
      lastPullMs: T0 - 3_600_000,
      bytes: 50e6,
    })),
    failures: every(60) % 2 === 0 ? [failure(7, T0 + every(60) * 1_800_000)] : [],
    prune: { lastRunMs: T0 + every(120) * 3_600_000, removedTotal: 3 + every(120), freedBytesTotal: 1e9 + every(120) * 2e8 },
    conditions: [
      { type: "ImageFsPressure", status: "False", reason: "ImageFsHasSpace", message: `${60 + every(60)} % used` },
      { type: "RegistryUnreachable", status: "False", reason: "RegistriesReachable", message: "" },
    ],
    checkErrors: {},
    hygiene: [0, 1, 2, 3].slice(pods % 2).map((i) => ({
      kind: "latest-tag",
      pod: `shop/cart-${i}`,
      image: "docker.io/acme/cart:latest",
      message: "the image is named by the tag latest: what a node runs depends on when it pulled",
      fix: "pin a version tag or a digest",
    })),
    secrets: ["shop/ghcr-pull", "jobs/ghcr-pull"].map((secret) => ({ secret, registry: "ghcr.io", state: "ok", message: "" })),
    pulls: tick % 10 === 9 ? [pull(tick, now)] : [],
  };
}
