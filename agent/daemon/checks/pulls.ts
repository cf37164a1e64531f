import { nodePlatform } from "../../../core/image/index.js";
import { diagnoseImage, nodeRuntimeFrom } from "../../diagnose/index.js";
import { type ContentReader, type PullRound, PullWatch } from "../../pulls/index.js";
import { ContentStore } from "../../runtime/containerd/index.js";
import { type Check, periodic } from "./check.js";
import type { CheckContext } from "./context.js";

/**
 * The node's pulls in flight, from containerd's content store: progress on the pods waiting
 * (PullProgress and PullStalled Events through the pod watch), a finding per stall, the figures
 * for /v1/state, the metrics and the report. On CRI-O, what can be known without such an API.
 */
export function pullsCheck(ctx: CheckContext): Check | undefined {
  const { config, runtime, kube, findings, log, shutdown } = ctx;
  if (!config.pulls.enabled) return undefined;
  let content: ContentStore | undefined;
  const watch = new PullWatch({
    store: async (): Promise<ContentReader | { unavailable: string }> => {
      const client = await runtime.get();
      if ((await runtime.containerdVersion()) === undefined) return { unavailable: `the runtime at ${client.endpoint.socketPath} is not containerd` };
      if (content === undefined) {
        const opened = await ContentStore.connect(client.endpoint);
        shutdown.addEventListener("abort", () => opened.close(), { once: true });
        content = opened;
      }
      return content;
    },
    waits: () => kube?.watch.imageWaits() ?? [],
    imageFsUsed: async () => {
      const info = await (await runtime.get()).imageFsInfo();
      return info.imageFilesystems.reduce((sum, fs) => sum + Number(fs.usedBytes?.value ?? 0), 0);
    },
    // The stalled pull's path, seen as the runtime sees it (its resolver, trust, proxy, hosts dir).
    diagnose: async (image) =>
      diagnoseImage({
        image,
        platform: nodePlatform(),
        hostsDir: await runtime.hostsDir(),
        vantage: await runtime.view(),
        timeoutMs: config.kube.diagnoseTimeout,
        pullDeadlineMs: config.pulls.stallAfter,
        pull: false,
        runtime: nodeRuntimeFrom(await runtime.get()),
      }),
    stallAfterMs: config.pulls.stallAfter,
  });
  let shown = "";
  return periodic(ctx.recorder, {
    name: "pulls",
    schedule: { every: config.pulls.interval },
    work: async (): Promise<PullRound> => {
      const round = await watch.round();
      await kube?.watch.publishPulls(round.words);
      for (const { pull, finding } of round.stalls) {
        log.warn(`pull stalled: ${finding.summary}`);
        const first = pull.waiting[0];
        findings.add({
          kind: "diagnosis",
          diagnosis: {
            pod: first?.pod ?? "",
            container: first?.container ?? "",
            image: pull.image,
            registry: finding.registry,
            reason: "PullStalled",
            cause: finding.cause,
            summary: finding.summary,
            fix: finding.fix,
            sinceMs: pull.startedAt,
            impact: pull.pods.length,
            note: "",
          },
        });
      }
      return round;
    },
    keep: (round) => round.view,
    // Every 2 s is too often for a line: one when the set of pulls (or their stalls) changes.
    describe: ({ view }) => {
      const now = view.pulls.map((p) => `${p.image}${p.stalled ? " (stalled)" : ""}`).join(", ");
      if (now === shown) return "";
      shown = now;
      return view.pulls.length === 0 ? "no pulls in flight" : `${view.pulls.length} in flight: ${now}`;
    },
  });
}
