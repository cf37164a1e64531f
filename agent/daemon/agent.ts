import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import type { AgentConfig } from "../config/index.js";
import { humanBytes } from "../../core/text/index.js";
import type { Logger } from "../../core/log/index.js";
import { probeRegistries, registriesOfImages, type RegistryProbe } from "../probe/index.js";
import { prepullRound, type PrepullImageStatus, type PrepullTarget } from "../prepull/index.js";
import { prunePass, UsageTracker } from "../prune/index.js";
import { checkDockerHubQuota, describeQuota, QuotaTracker, type QuotaReading } from "../quota/index.js";
import { matchCredentials, parseDockerConfigJson, type RegistryCredential } from "../registry/index.js";
import { parseReference } from "../../core/image/index.js";
import { createMetrics, type PruneFinding } from "../report/metrics.js";
import { NodeState } from "../report/node-state.js";
import type { NodeImages } from "../runtime/index.js";
import { VERSION } from "../../core/process/index.js";
import { describeDisk, diskCheck, highestUsedPercent, imagesCheck, imagesFinding, RuntimeHandle } from "./checks.js";
import { startHttpServer, type HttpServer } from "../../core/net/index.js";
import { startKubeSide, type KubeSide } from "./kube-side.js";
import { startReportSide, type ReportSide } from "./report-side.js";
import { Scheduler } from "./scheduler.js";

export interface RunningAgent {
  url: string;
  state: NodeState;
  /** Runtime reachable and the first disk and images rounds done. */
  ready(): { ready: boolean; reasons: string[] };
  /** Stops checks (waiting for runs in flight up to the shutdown bound), saves state, closes the port. */
  stop(): Promise<void>;
}

const USAGE_SAVE_EVERY_MS = 5 * 60_000;

/** Waits, or stops waiting when the agent stops; false when it was interrupted. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  const { setTimeout: wait } = await import("node:timers/promises");
  return wait(ms, true, { signal }).catch(() => false);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The node agent: each check on its own interval, findings in NodeState, served on HTTP.
 * Checks never throw out of here: a failure is recorded, logged, and retried at the next tick.
 */
export interface StartAgentOptions {
  env?: NodeJS.ProcessEnv;
  /** The aggregator's gRPC address when it runs in this process (embedded mode); wins over config. */
  aggregatorAddress?: string;
}

export async function startAgent(config: AgentConfig, log: Logger, opts: StartAgentOptions = {}): Promise<RunningAgent> {
  const env = opts.env ?? process.env;
  const state = new NodeState(config.nodeName ?? "unknown", VERSION);
  const runtime = new RuntimeHandle(config);
  const scheduler = new Scheduler(log);
  const quota = new QuotaTracker();
  const { tracker: usage, warning } = await UsageTracker.load(config.stateFile, { now: Date.now() });
  if (warning) log.warn(warning, { stateFile: config.stateFile });
  let latestImages: NodeImages | undefined;
  // Pre-pulled images are protected from the agent's own prune.
  const prepullImages = config.prepull.images.map((t) => (typeof t === "string" ? t : t.image));
  let savedSize = -1;
  let savedAt = 0;
  let pruneTotals = { removed: 0, freedBytes: 0 };
  let changed: () => void = () => undefined;

  /** Times a check, records its outcome, and logs one line a person can read. */
  async function run<T>(name: string, work: () => Promise<T>, describe: (t: T) => string, store: (t: T) => unknown = (t) => t): Promise<T | undefined> {
    const started = performance.now();
    try {
      const result = await work();
      if (state.get(name)?.ok !== true) changed();
      state.record(name, { ok: true, durationMs: performance.now() - started, result: store(result) });
      log.info(`${name}: ${describe(result)}`);
      return result;
    } catch (err) {
      const error = errorText(err);
      const before = state.get(name);
      if (before?.ok !== false || before.error !== error) changed();
      state.record(name, { ok: false, durationMs: performance.now() - started, error });
      // A check that keeps failing the same way is logged once, not every interval.
      if (before?.ok !== false || before.error !== error) log.warn(`${name} failed: ${error}`);
      return undefined;
    }
  }

  // Serve first: /healthz must answer while the first checks still run.
  // The API side comes first: a kubeconfig problem stops the agent before it serves anything.
  const kube: KubeSide | undefined = await startKubeSide(config, log, env, { state, runtime, quota });
  const shutdown = new AbortController();
  let runPrepull: (targets: PrepullTarget[], onProgress?: (s: PrepullImageStatus) => void) => Promise<void> = async () => undefined;
  let runtimeName: string | undefined;
  const reporting: ReportSide = await startReportSide(
    config,
    log,
    {
      state,
      quota,
      podWatch: () => kube?.watch.snapshot(),
      conditions: () => kube?.conditions() ?? [],
      runtime: () => runtimeName,
      prepull: (targets, onProgress) => runPrepull(targets, onProgress),
      pause: (ms) => pause(ms, shutdown.signal),
    },
    opts.aggregatorAddress ?? config.report.aggregator,
  );
  const findings = reporting.findings;
  // A check that starts or stops failing is news for the cluster view; the next interval may be far.
  changed = () => reporting.reportSoon();
  kube?.watch.onFinding((f) => findings.add(f));
  // A failure opens "pending" before its diagnosis, and may end before one: the view should see both.
  kube?.watch.onChange(() => reporting.reportSoon());
  const metrics = await createMetrics(state, { quotaReadings: () => quota.bySource(), podWatch: () => kube?.watch.snapshot(), reporter: () => reporting.status() });
  const ready = () => {
    const reasons: string[] = [];
    const disk = state.get("disk");
    if (!disk) reasons.push("the first disk check has not finished");
    else if (!disk.ok) reasons.push(`runtime or disk check failing: ${disk.error ?? "unknown"}`);
    if (!state.get("images")?.ok) reasons.push("the first images check has not succeeded");
    return { ready: reasons.length === 0, reasons };
  };
  let server: HttpServer;
  try {
    server = await startHttpServer(config.listen, {
      "/healthz": async () => ({ status: 200, contentType: "text/plain", body: "ok\n" }),
      "/readyz": async () => {
        const r = ready();
        return { status: r.ready ? 200 : 503, contentType: "text/plain", body: r.ready ? "ready\n" : `not ready: ${r.reasons.join("; ")}\n` };
      },
      "/metrics": async () => ({ status: 200, contentType: metrics.contentType, body: await metrics.render() }),
      "/v1/state": async () => ({ status: 200, contentType: "application/json", body: `${JSON.stringify({ ...state.toJSON(), ready: ready().ready, quota: quota.bySource(), ...(reporting.status() ? { report: reporting.status() } : {}) })}\n` }),
      "/v1/report": async () => ({ status: 200, contentType: "application/json", body: `${JSON.stringify(reporting.report())}\n` }),
    });
  } catch (err) {
    await kube?.stop();
    await reporting.stop();
    runtime.close();
    throw err;
  }
  kube?.start();

  scheduler.every("disk", config.disk.interval, async () => {
    const disk = await run("disk", () => diskCheck(runtime), describeDisk);
    if (disk && runtimeName === undefined) {
      const version = await runtime.containerdVersion();
      if (version !== undefined) runtimeName = `containerd ${version}`;
    }
    await kube?.conditionsChanged();
    const used = disk && highestUsedPercent(disk);
    if (config.prune.enabled && used !== undefined && used >= config.prune.highWatermarkPercent && !scheduler.isRunning("prune")) {
      log.info(`disk at ${used} % crosses the ${config.prune.highWatermarkPercent} % high watermark: pruning now`);
      void scheduler.trigger("prune");
    }
  });

  scheduler.every("images", config.images.interval, async () => {
    // The finding stored is a summary: the full list would make /v1/state grow with the node.
    const node = await run(
      "images",
      () => imagesCheck(runtime),
      (n) => {
        const f = imagesFinding(n);
        return `${f.count} images, ${f.inUse} in use, sandbox image ${f.sandboxImage ?? "unknown"}`;
      },
      imagesFinding,
    );
    if (!node) return;
    latestImages = node;
    const now = Date.now();
    usage.observe(node.images, now);
    // In-use images get a new last-used time every round; writing (and fsyncing) that every 30 s
    // buys nothing. New or removed images are saved at once, time alone every few minutes.
    if (usage.size !== savedSize || now - savedAt >= USAGE_SAVE_EVERY_MS) {
      await usage.save().then(
        () => {
          savedSize = usage.size;
          savedAt = now;
        },
        (err: unknown) => log.warn(`cannot save image ages to ${config.stateFile}: ${errorText(err)}`),
      );
    }
  });

  if (config.prune.enabled) {
    const policy = {
      highWatermarkPercent: config.prune.highWatermarkPercent,
      lowWatermarkPercent: config.prune.lowWatermarkPercent,
      minUnusedAgeMs: config.prune.minUnusedAge,
      maxUnusedAgeMs: config.prune.maxUnusedAge,
      protected: config.prune.protected,
    };
    const prune = async () => {
      await run(
        "prune",
        async (): Promise<PruneFinding> => {
          const pass = await prunePass(await runtime.get(), {
            policy,
            tracker: usage,
            prepull: prepullImages,
            dryRun: config.prune.dryRun,
            log: (message: string) => log.info(`prune: ${message}`),
          });
          const removed = pass.result?.removed.length ?? 0;
          const freedBytes = pass.result?.freedBytes ?? 0;
          pruneTotals = { removed: pruneTotals.removed + removed, freedBytes: pruneTotals.freedBytes + freedBytes };
          const finding: PruneFinding = {
            lastRunAt: new Date(pass.now).toISOString(),
            trigger: pass.plan.trigger,
            dryRun: config.prune.dryRun,
            planned: pass.plan.candidates.length,
            removed,
            freedBytes,
            failed: pass.result?.failed.length ?? 0,
            totals: pruneTotals,
          };
          if (finding.removed > 0 || finding.failed > 0) findings.prune(finding, (pass.result?.removed ?? []).map((r) => r.name));
          return finding;
        },
        (f) =>
          f.trigger === "none"
            ? "nothing to do: below the high watermark"
            : f.dryRun
              ? `dry run: would remove ${f.planned} images (${f.trigger})`
              : `removed ${f.removed} images, ${humanBytes(f.freedBytes)} freed (${f.trigger})`,
      );
    };
    await scheduler.cron("prune", config.prune.schedule, prune);
  }

  const statuses = new Map<string, PrepullImageStatus>();
  // One round at a time, whichever schedule, the start or an aggregator command asked for it: two
  // rounds at once would double the pull limit and could pull the same image twice. A round that
  // comes while another runs waits for it, and then finds what that one pulled already present.
  let rounds: Promise<unknown> = Promise.resolve();
  const oneAtATime = (work: () => Promise<unknown>): Promise<void> => {
    const next = rounds.then(() => (shutdown.signal.aborted ? undefined : work()));
    rounds = next.catch(() => undefined);
    return next.then(() => undefined);
  };
  // A back-off between pull attempts ends at shutdown: the round gives up instead of keeping the
  // process alive for the rest of the wait.
  const sleep = async (ms: number): Promise<void> => {
    if (!(await pause(ms, shutdown.signal))) throw new Error("the agent is shutting down");
  };
  const prepullNow = async (targets: PrepullTarget[], onProgress?: (s: PrepullImageStatus) => void): Promise<PrepullImageStatus[]> => {
    const containerdVersion = await runtime.containerdVersion();
    const results = await prepullRound(targets, {
      client: await runtime.get(),
      hostsDir: config.hostsDir,
      ...(containerdVersion ? { containerdVersion } : {}),
      timeoutMs: config.prepull.timeout,
      pullDeadlineMs: config.prepull.pullDeadline,
      concurrency: config.prepull.concurrency,
      retries: { attempts: config.prepull.retries.attempts, baseDelayMs: config.prepull.retries.baseDelay, maxDelayMs: config.prepull.retries.maxDelay },
      quota: { latest: () => quota.latest(), reserve: config.prepull.quotaReserve },
      onRateLimit: (r) => quota.recordRateLimit(r, "pull"),
      onProgress: (status) => {
        statuses.set(status.image, status);
        onProgress?.(status);
      },
      previous: statuses,
      sleep,
    });
    for (const r of results) statuses.set(r.image, r);
    for (const r of results) if (r.action === "pulled" || r.action === "failed") findings.prepull(r);
    return results;
  };
  const describeRound = (results: PrepullImageStatus[]): string => {
    const count = (a: string) => results.filter((r) => r.action === a).length;
    const failed = results.filter((r) => r.action === "failed").map((r) => `${r.image} (${r.cause ?? "unknown"})`);
    return `${count("pulled")} pulled, ${count("unchanged")} unchanged, ${count("deferred")} deferred, ${failed.length} failed${failed.length ? `: ${failed.join(", ")}` : ""}`;
  };
  runPrepull = (targets: PrepullTarget[], onProgress?: (s: PrepullImageStatus) => void) =>
    oneAtATime(() => run("prepull", () => prepullNow(targets, onProgress), describeRound, () => [...statuses.values()]));

  if (config.prepull.images.length > 0) {
    const schedules = new Map<string, PrepullTarget[]>();
    for (const t of config.prepull.images) {
      const target: PrepullTarget = typeof t === "string" ? { image: t } : { image: t.image, ...(t.dockerConfig ? { dockerConfig: t.dockerConfig } : {}), ...(t.platform ? { platform: t.platform } : {}) };
      const schedule = typeof t === "string" ? config.prepull.schedule : (t.schedule ?? config.prepull.schedule);
      schedules.set(schedule, [...(schedules.get(schedule) ?? []), target]);
    }
    const round = (targets: PrepullTarget[], jitterMs: number) => async () => {
      // A random wait first, so a thousand nodes on the same schedule do not hit the registry at once.
      if (jitterMs > 0 && !(await pause(Math.random() * jitterMs, shutdown.signal))) return;
      await runPrepull(targets);
    };
    let n = 0;
    for (const [schedule, targets] of schedules) await scheduler.cron(n++ === 0 ? "prepull" : `prepull ${schedule}`, schedule, round(targets, config.prepull.jitter));
    // A node that joins gets its images before it gets pods: one round for every target at start.
    if (config.prepull.runAtStart) void scheduler.triggerOnce("prepull-start", round([...schedules.values()].flat(), 0));
  }

  if (config.probes.enabled) {
    scheduler.every("probes", config.probes.interval, async () => {
      await run(
        "probes",
        async (): Promise<RegistryProbe[]> => {
          const tags = latestImages?.images.flatMap((i) => i.repoTags) ?? [];
          const domains = [...new Set([...config.probes.registries, ...registriesOfImages(tags), ...(kube?.watch.registries() ?? [])])];
          const containerdVersion = await runtime.containerdVersion();
          return probeRegistries(domains, {
            hostsDir: config.hostsDir,
            timeoutMs: config.probes.timeout,
            ...(containerdVersion ? { containerdVersion } : {}),
            onRateLimit: (r) => quota.recordRateLimit(r, "pull"),
          });
        },
        (probes) => {
          const bad = probes.filter((p) => !p.ok).map((p) => p.registry);
          const warnings = probes.flatMap((p) => p.warnings);
          return `${probes.length} registries, ${bad.length ? `unhealthy: ${bad.join(", ")}` : "all healthy"}${warnings.length ? `; ${warnings.join("; ")}` : ""}`;
        },
      );
      await kube?.conditionsChanged();
    });
  }

  if (kube !== undefined && config.kube.readSecrets) {
    scheduler.every("pull-secrets", config.kube.secretCheckInterval, async () => {
      await run(
        "pull-secrets",
        () => kube.watch.checkSecrets(),
        (checks) => {
          const bad = checks.filter((c) => c.state !== "ok" && c.state !== "unverified");
          return `${checks.length} pull Secret${checks.length === 1 ? "" : "s"} checked${bad.length ? `, not working: ${bad.map((c) => `${c.secret} (${c.state})`).join(", ")}` : ", all working"}`;
        },
      );
    });
  }

  if (config.quota.enabled) {
    const credential = await dockerHubCredential(config, log);
    scheduler.every("quota", config.quota.interval, async () => {
      await run(
        "quota",
        async (): Promise<QuotaReading> => {
          const reading = await checkDockerHubQuota({ registryUrl: config.quota.registryUrl, timeoutMs: config.quota.timeout, ...(credential ? { credential } : {}) });
          quota.record(reading);
          return reading;
        },
        (r) => describeQuota(r, Date.now()),
      );
    });
  }

  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    state,
    ready,
    stop: () =>
      (stopping ??= (async () => {
        shutdown.abort();
        const abandoned = await scheduler.stop(config.shutdownTimeout);
        if (abandoned.length) log.warn(`shutdown: abandoned ${abandoned.join(", ")} after ${config.shutdownTimeout} ms`);
        await usage.save().catch((err: unknown) => log.warn(`cannot save image ages: ${errorText(err)}`));
        await kube?.stop();
        // Findings of the last moments (a prune, a diagnosis) get a short chance to reach the aggregator.
        await reporting.stop();
        await server.close();
        runtime.close();
      })()),
  };
}

/** The node's own Docker Hub account, when configured, so the quota shown is the one pulls use. */
async function dockerHubCredential(config: AgentConfig, log: Logger): Promise<RegistryCredential | undefined> {
  const file = config.quota.dockerConfig;
  if (!file) return undefined;
  try {
    const parsed = parseDockerConfigJson(await readFile(file, "utf8"), `quota.dockerConfig ${file}`);
    const entry = matchCredentials(parsed, parseReference("docker.io/ratelimitpreview/test"))[0];
    if (!entry) {
      log.warn(`quota.dockerConfig ${file} has no Docker Hub entry; checking the anonymous quota`);
      return undefined;
    }
    const credential: RegistryCredential = { source: `quota.dockerConfig ${file}` };
    if (entry.username !== undefined) credential.username = entry.username;
    if (entry.password !== undefined) credential.password = entry.password;
    return credential;
  } catch (err) {
    log.warn(`cannot use quota.dockerConfig ${file}: ${errorText(err)}; checking the anonymous quota`);
    return undefined;
  }
}
