// How long planPrune takes on a big node: 10,000 images, 5,000 containers, a protected list and a
// pre-pull list, with the disk past the high watermark. Prints figures; asserts nothing.
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { DEFAULT_PRUNE_POLICY, type ImageUsage, type PruneImage, planPrune } from "../../agent/prune/index.js";
import type { ImageUser } from "../../agent/runtime/index.js";
import { prng } from "../support/fuzz.js";

const IMAGES = 10_000;
const CONTAINERS = 5_000;
const RUNS = 20;
const DAY = 86_400_000;
const STATES: ImageUser["state"][] = ["CONTAINER_RUNNING", "CONTAINER_CREATED", "CONTAINER_EXITED"];
const HOSTS = ["docker.io", "ghcr.io", "registry.example.com:5000", "quay.io", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"];

function node(seed: number): { images: PruneImage[]; usage: Record<string, ImageUsage>; now: number } {
  const rand = prng(seed);
  const now = Date.UTC(2026, 5, 1);
  const images: PruneImage[] = [];
  const usage: Record<string, ImageUsage> = {};
  for (let i = 0; i < IMAGES; i++) {
    const host = HOSTS[i % HOSTS.length] ?? "docker.io";
    const repo = `${host}/team${i % 97}/app${i % 1013}`;
    const id = `sha256:${i.toString(16).padStart(64, "0")}`;
    images.push({
      id,
      repoTags: [`${repo}:v${i}`, ...(rand() < 0.2 ? [`${repo}:latest`] : [])],
      repoDigests: [`${repo}@sha256:${i.toString(16).padStart(64, "a")}`],
      sizeBytes: Math.floor(rand() * 500_000_000),
      pinned: rand() < 0.01,
      sandbox: i === 0,
      usedBy: [],
    });
    if (rand() < 0.9) {
      const firstSeen = now - Math.floor(rand() * 90 * DAY);
      usage[id] = { firstSeen, lastUsed: rand() < 0.6 ? firstSeen + Math.floor(rand() * (now - firstSeen)) : undefined };
    }
  }
  for (let c = 0; c < CONTAINERS; c++) {
    const image = images[Math.floor(rand() * IMAGES)];
    image?.usedBy.push({ containerId: `c${c}`, container: "main", pod: `pod-${c}`, namespace: `ns${c % 40}`, state: STATES[c % 3] ?? "CONTAINER_RUNNING" });
  }
  return { images, usage, now };
}

export async function benchPlanner(): Promise<{ images: number; containers: number; medianMs: number; p90Ms: number }> {
  const { images, usage, now } = node(0x5eed);
  const input = {
    images,
    usage,
    prepull: ["team1/app1:v1", "ghcr.io/team2/app2:v2", "quay.io/team3/app3:latest"],
    disk: { capacityBytes: 2_000_000_000_000, availableBytes: 100_000_000_000 },
    policy: { ...DEFAULT_PRUNE_POLICY, protected: ["registry.example.com:5000/team4/*", "ghcr.io/team5/app5:*", "docker.io/team6/app6:v6"] },
    now,
  };
  planPrune(input); // warm-up: the first run pays for compilation
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    planPrune(input);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? Number.NaN;
  return { images: IMAGES, containers: CONTAINERS, medianMs: at(0.5), p90Ms: at(0.9) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchPlanner();
  console.log(`planPrune: ${r.images} images, ${r.containers} containers: median ${r.medianMs.toFixed(1)} ms, p90 ${r.p90Ms.toFixed(1)} ms (${RUNS} runs)`);
}
