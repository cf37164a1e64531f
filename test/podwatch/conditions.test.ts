import assert from "node:assert/strict";
import { test } from "node:test";
import type { NodeCondition } from "../../agent/kube/types.js";
import {
  IMAGE_FS_PRESSURE,
  imageFsPressureCondition,
  nextConditions,
  REGISTRY_UNREACHABLE,
  registryUnreachableCondition,
} from "../../agent/podwatch/conditions.js";
import type { ImageFilesystem } from "../../agent/probe/disk.js";
import type { ProbeFinding } from "../../agent/report/index.js";

const GiB = 1024 ** 3;
const T0 = Date.parse("2024-05-01T10:00:00Z");

function fs(usedPercent: number, availableBytes: number): ImageFilesystem {
  return {
    mountpoint: "/var/lib/containerd",
    runtimeUsedBytes: undefined,
    runtimeInodesUsed: undefined,
    hostError: undefined,
    host: {
      mount: "/",
      device: "/dev/vda1",
      fsType: "ext4",
      capacityBytes: 100 * GiB,
      availableBytes,
      freeBytes: availableBytes,
      usedPercent,
      inodesTotal: 1000,
      inodesFree: 500,
      inodesUsedPercent: 50,
    },
  };
}

function probe(registry: string, hosts: { url: string; failAt?: string }[]): ProbeFinding {
  const order = ["dns", "tcp", "tls", "ping"];
  return {
    registry,
    ok: hosts.some((h) => h.failAt === undefined),
    hosts: hosts.map((h) => {
      const last = h.failAt === undefined ? order.length : order.indexOf(h.failAt) + 1;
      return { url: h.url, steps: order.slice(0, last).map((step) => ({ step, ok: step !== h.failAt, ms: 1 })) };
    }),
  };
}

test("image filesystem pressure: True at the threshold, False under it, Unknown without a reading", () => {
  const full = imageFsPressureCondition([fs(91.2, 8.8 * GiB)], 85);
  assert.deepEqual([full.status, full.reason], ["True", "ImageFsNearlyFull"]);
  assert.match(full.message, /\/var\/lib\/containerd is 91\.2% used \(8\.8 GiB free\)/);
  assert.equal(imageFsPressureCondition([fs(85, 15 * GiB)], 85).status, "True", "the threshold itself counts");

  const fine = imageFsPressureCondition([fs(40, 60 * GiB)], 85);
  assert.deepEqual([fine.status, fine.reason], ["False", "ImageFsHasSpace"]);

  assert.deepEqual([imageFsPressureCondition(undefined, 85).status, imageFsPressureCondition([], 85).reason], ["Unknown", "ImageFsUnknown"]);
  const hidden = imageFsPressureCondition([{ ...fs(0, 0), host: undefined, hostError: "/var/lib/containerd is not visible here" }], 85);
  assert.equal(hidden.status, "Unknown");
  assert.match(hidden.message, /not visible here/);
});

test("a registry is unreachable only when every host fails at dns, tcp or tls", () => {
  const down = registryUnreachableCondition([
    probe("ghcr.io", [{ url: "https://ghcr.io", failAt: "tcp" }]),
    probe("docker.io", [
      { url: "https://mirror.local", failAt: "dns" },
      { url: "https://registry-1.docker.io", failAt: "tls" },
    ]),
  ]);
  assert.deepEqual([down.status, down.reason], ["True", "RegistryUnreachable"]);
  assert.match(down.message, /ghcr\.io \(tcp fails on its host\)/);
  assert.match(down.message, /docker\.io \(dns\/tls fails on all 2 hosts\)/);

  const answers = registryUnreachableCondition([
    probe("quay.io", [{ url: "https://quay.io", failAt: "ping" }]),
    probe("docker.io", [{ url: "https://mirror.local", failAt: "tcp" }, { url: "https://registry-1.docker.io" }]),
  ]);
  assert.deepEqual(
    [answers.status, answers.reason],
    ["False", "RegistriesReachable"],
    "an HTTP error or a dead mirror with a live upstream is not unreachable",
  );
  assert.equal(registryUnreachableCondition(undefined).status, "Unknown");
  assert.equal(registryUnreachableCondition([]).status, "Unknown");
});

test("many unreachable registries make a bounded message", () => {
  const probes = Array.from({ length: 200 }, (_, i) => probe(`registry-${i}.example.com`, [{ url: `https://registry-${i}.example.com`, failAt: "dns" }]));
  const c = registryUnreachableCondition(probes);
  assert.ok(c.message.length <= 512);
  assert.match(c.message, /and 194 more/);
});

test("conditions: set True, heartbeat rewrite, cleared to False with a new transition time", () => {
  const pressure = { type: IMAGE_FS_PRESSURE, ...imageFsPressureCondition([fs(91, 9 * GiB)], 85) };
  const set = nextConditions(undefined, [pressure], T0, 300_000);
  assert.deepEqual(set, [{ ...pressure, lastHeartbeatTime: "2024-05-01T10:00:00Z", lastTransitionTime: "2024-05-01T10:00:00Z" }]);

  assert.equal(nextConditions(set, [pressure], T0 + 60_000, 300_000), undefined, "nothing changed and the heartbeat is fresh");

  const beat = nextConditions(set, [pressure], T0 + 300_000, 300_000);
  assert.equal(beat?.[0]?.lastHeartbeatTime, "2024-05-01T10:05:00Z");
  assert.equal(beat?.[0]?.lastTransitionTime, "2024-05-01T10:00:00Z", "a heartbeat is not a transition");

  const cleared = nextConditions(beat, [{ type: IMAGE_FS_PRESSURE, ...imageFsPressureCondition([fs(60, 40 * GiB)], 85) }], T0 + 330_000, 300_000);
  assert.deepEqual(
    cleared?.map((c) => [c.status, c.reason, c.lastTransitionTime]),
    [["False", "ImageFsHasSpace", "2024-05-01T10:05:30Z"]],
  );
});

test("a changed message under the same status is written but keeps the transition time", () => {
  const prev: NodeCondition[] = [
    {
      type: IMAGE_FS_PRESSURE,
      status: "True",
      reason: "ImageFsNearlyFull",
      message: "old",
      lastHeartbeatTime: "2024-05-01T10:00:00Z",
      lastTransitionTime: "2024-05-01T09:00:00Z",
    },
  ];
  const next = nextConditions(prev, [{ type: IMAGE_FS_PRESSURE, status: "True", reason: "ImageFsNearlyFull", message: "new" }], T0 + 1000, 300_000);
  assert.deepEqual(
    next?.map((c) => [c.message, c.lastTransitionTime]),
    [["new", "2024-05-01T09:00:00Z"]],
  );
});

test("only the conditions pullmedic owns are ever returned", () => {
  const wanted = [
    { type: "Ready", status: "False" as const, reason: "x", message: "y" },
    { type: "DiskPressure", status: "True" as const, reason: "x", message: "y" },
  ];
  assert.equal(nextConditions([], wanted, T0, 300_000), undefined);
  const mixed = nextConditions([], [...wanted, { type: REGISTRY_UNREACHABLE, ...registryUnreachableCondition([]) }], T0, 300_000);
  assert.deepEqual(
    mixed?.map((c) => c.type),
    [REGISTRY_UNREACHABLE],
  );
});
