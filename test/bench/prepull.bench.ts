// npm run bench: a pre-pull round of 10 lab images timed from start to end, against
// `ctr images pull` of the same images with the same parallelism, both pulling for real (the
// images are removed between batches); then what an unchanged round costs. Prints figures only.
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { prepullRound } from "../../agent/prepull/index.js";
import { mapBounded } from "../../agent/prepull/pool.js";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { buildImage, type Lab, startLab } from "../lab/index.js";
import { logMark, roundOptions, settledRequestsSince } from "../prepull/support.js";

const IMAGES = 10;
const IMAGE_BYTES = 4 * 1024 * 1024;
const PARALLEL = 2;
const RUNS = Number(process.env["BENCH_PREPULL_RUNS"] ?? 3);

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Removes the images and checks their blobs went too, so the next batch downloads everything again. */
async function removeAll(lab: Lab, client: RuntimeClient, refs: string[], layerDigests: string[]): Promise<void> {
  for (const ref of refs) await client.removeImage(ref);
  const content = await lab.ctr("content", "ls", "-q");
  const left = layerDigests.filter((d) => content.includes(d));
  if (left.length > 0) throw new Error(`${left.length} layers stayed in containerd's content store after removal; the next pull would not download them`);
}

export async function benchPrepull(): Promise<void> {
  const lab = await startLab();
  const client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  try {
    const refs: string[] = [];
    const layerDigests: string[] = [];
    for (let i = 0; i < IMAGES; i++) {
      const image = buildImage({ label: `bench-${i}`, padBytes: IMAGE_BYTES });
      layerDigests.push(...image.layers.map((l) => l.digest));
      refs.push((await lab.push(image, `bench/app-${i}:1.0`)).ref);
    }
    const targets = refs.map((image) => ({ image }));
    const options = roundOptions(lab, client, { concurrency: PARALLEL });

    // ctr is the peer the issue names; bare PullImage is the same CRI path without the HEADs and
    // status reads, so the difference to it is the pre-puller's own cost.
    const batches: Record<"ours" | "ctr" | "cri", { run: () => Promise<void>; ms: number[] }> = {
      ours: {
        run: async () => {
          const statuses = await prepullRound(targets, options);
          const notPulled = statuses.filter((s) => s.action !== "pulled");
          if (notPulled.length > 0) throw new Error(`prepullRound did not pull: ${JSON.stringify(notPulled)}`);
        },
        ms: [],
      },
      ctr: { run: async () => void (await mapBounded(refs, PARALLEL, (ref) => lab.ctr("images", "pull", "--hosts-dir", lab.hostsDir, ref))), ms: [] },
      cri: { run: async () => void (await mapBounded(refs, PARALLEL, (ref) => client.pullImage(ref))), ms: [] },
    };
    // One batch of each first, uncounted: the first pulls pay for cold caches on every side.
    for (let run = 0; run <= RUNS; run++) {
      // Rotating who goes first keeps page-cache and registry warm-up from favouring one side.
      const order = (["ours", "ctr", "cri"] as const).map((_, i, all) => all[(i + run) % all.length] ?? "ours");
      for (const who of order) {
        const ms = await timed(batches[who].run);
        if (run > 0) batches[who].ms.push(ms);
        await removeAll(lab, client, refs, layerDigests);
      }
    }
    const ours = batches.ours.ms;
    const ctr = batches.ctr.ms;
    const cri = batches.cri.ms;

    // What a ctr process costs before it pulls anything, to read the ctr figure by.
    const ctrStart: number[] = [];
    for (let i = 0; i < RUNS; i++) ctrStart.push(await timed(async () => void (await lab.ctr("version"))));

    await prepullRound(targets, options);
    const mark = logMark(lab);
    const unchanged: number[] = [];
    for (let i = 0; i < RUNS; i++) unchanged.push(await timed(async () => void (await prepullRound(targets, options))));
    const requests = await settledRequestsSince(lab, mark, IMAGES * RUNS);
    const perRound = (method: string): number => requests.filter((r) => r.method === method).length / RUNS;

    const oursMs = median(ours);
    const ctrMs = median(ctr);
    const mib = (IMAGE_BYTES / 1024 / 1024).toFixed(0);
    console.log(`prepull: ${IMAGES} images of ${mib} MiB from the lab registry, ${PARALLEL} at a time, median of ${RUNS} runs`);
    console.log(`  prepullRound (HEAD + CRI PullImage)       ${oursMs.toFixed(0).padStart(7)} ms   runs: ${ours.map((m) => m.toFixed(0)).join(", ")}`);
    console.log(`  ctr -n k8s.io images pull, ${PARALLEL} at a time    ${ctrMs.toFixed(0).padStart(7)} ms   runs: ${ctr.map((m) => m.toFixed(0)).join(", ")}`);
    console.log(
      `    of which starting ctr ${IMAGES}×, ${PARALLEL} at a time ≈ ${((median(ctrStart) * IMAGES) / PARALLEL).toFixed(0)} ms (ctr version: ${median(ctrStart).toFixed(0)} ms)`,
    );
    console.log(
      `  bare CRI PullImage, ${PARALLEL} at a time              ${median(cri).toFixed(0).padStart(7)} ms   runs: ${cri.map((m) => m.toFixed(0)).join(", ")}`,
    );
    console.log(`  ratio prepull / bare CRI PullImage        ${(oursMs / median(cri)).toFixed(2).padStart(7)}`);
    console.log(`  ratio prepull / ctr                       ${(oursMs / ctrMs).toFixed(2).padStart(7)}      (goal ≤ 1.1)`);
    console.log(
      `  unchanged round                           ${median(unchanged).toFixed(1).padStart(7)} ms   ${perRound("HEAD")} HEAD, ${perRound("GET")} GET, ` +
        `${requests.length / RUNS} requests in all per round`,
    );
  } finally {
    client.close();
    await lab.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchPrepull();
}
