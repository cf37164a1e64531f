import type { Logger } from "../../core/log/index.js";
import type { HttpServer } from "../../core/net/index.js";
import { VERSION } from "../../core/process/index.js";
import type { AgentConfig } from "../config/index.js";
import { UsageTracker } from "../prune/index.js";
import { QuotaTracker } from "../quota/index.js";
import { createMetrics, NodeState } from "../report/index.js";
import { CHECKS, type CheckContext, CheckRecorder, type NodeFacts } from "./checks/index.js";
import { agentRoutes, type Readiness, readiness } from "./endpoints.js";
import { errorText } from "./error-text.js";
import { serveAgentHttp } from "./http-access.js";
import { type KubeSide, startKubeSide } from "./kube-side.js";
import { pause } from "./pause.js";
import { PrepullRounds } from "./prepull-rounds.js";
import { type ReportSide, startReportSide } from "./report-side.js";
import { RuntimeHandle } from "./runtime-handle.js";
import { Scheduler } from "./scheduler.js";

export interface RunningAgent {
  url: string;
  state: NodeState;
  /** Runtime reachable and the first disk and images rounds done. */
  ready(): Readiness;
  /** Stops checks (waiting for runs in flight up to the shutdown bound), saves state, closes the port. */
  stop(): Promise<void>;
}

export interface StartAgentOptions {
  env?: NodeJS.ProcessEnv;
  /** The aggregator's gRPC address when it runs in this process (embedded mode); wins over config. */
  aggregatorAddress?: string;
}

/**
 * The node agent: each check (./checks) on its own schedule, findings in NodeState, served on
 * HTTP, reported to the aggregator when there is one. Checks never throw out of here: a failure
 * is recorded, logged, and retried at the next run.
 */
export async function startAgent(config: AgentConfig, log: Logger, opts: StartAgentOptions = {}): Promise<RunningAgent> {
  const state = new NodeState(config.nodeName ?? "unknown", VERSION);
  const runtime = new RuntimeHandle(config).shownIn(state);
  const scheduler = new Scheduler(log);
  const quota = new QuotaTracker();
  const { tracker: usage, warning } = await UsageTracker.load(config.stateFile, { now: Date.now() });
  if (warning) log.warn(warning, { stateFile: config.stateFile });
  const shutdown = new AbortController();
  const recorder = new CheckRecorder(state, log);
  const prepull = new PrepullRounds({ config, runtime, quota, recorder, shutdown: shutdown.signal });
  const facts: NodeFacts = { images: undefined, runtimeName: undefined };

  // Serve first: /healthz must answer while the first checks still run.
  // The API side comes first: a kubeconfig problem stops the agent before it serves anything.
  const kube: KubeSide | undefined = await startKubeSide(config, log, opts.env ?? process.env, { state, runtime, quota });
  const reporting: ReportSide = await startReportSide(
    config,
    log,
    {
      state,
      quota,
      podWatch: () => kube?.watch.snapshot(),
      conditions: () => kube?.conditions() ?? [],
      runtime: () => facts.runtimeName,
      prepull: (targets, onProgress) => prepull.run(targets, onProgress),
      pause: (ms) => pause(ms, shutdown.signal),
    },
    opts.aggregatorAddress ?? config.report.aggregator,
  );
  // A check that starts or stops failing is news for the cluster view; the next interval may be far.
  recorder.onChange(() => reporting.reportSoon());
  prepull.onFinding((s) => reporting.findings.prepull(s));
  kube?.watch.onFinding((f) => reporting.findings.add(f));
  // A failure opens "pending" before its diagnosis, and may end before one: the view should see both.
  kube?.watch.onChange(() => reporting.reportSoon());
  const metrics = await createMetrics(state, {
    quotaReadings: () => quota.bySource(),
    podWatch: () => kube?.watch.snapshot(),
    reporter: () => reporting.status(),
  });
  let server: HttpServer;
  try {
    server = await serveAgentHttp(config, log, opts.env ?? process.env, (access) => agentRoutes({ state, quota, metrics, reporting, access }));
  } catch (err) {
    await kube?.stop();
    await reporting.stop();
    runtime.close();
    throw err;
  }
  kube?.start();

  const context: CheckContext = {
    config,
    log,
    runtime,
    quota,
    usage,
    kube,
    findings: reporting.findings,
    prepull,
    recorder,
    jobs: scheduler,
    shutdown: shutdown.signal,
    facts,
  };
  for (const make of CHECKS) {
    const check = await make(context);
    for (const job of check?.jobs ?? []) await scheduler.schedule(job);
  }

  let stopping: Promise<void> | undefined;
  const stop = () => stopAgent({ config, log, shutdown, scheduler, usage, kube, reporting, server, runtime });
  return { url: server.url, state, ready: () => readiness(state), stop: () => (stopping ??= stop()) };
}

interface RunningParts {
  config: AgentConfig;
  log: Logger;
  shutdown: AbortController;
  scheduler: Scheduler;
  usage: UsageTracker;
  kube: KubeSide | undefined;
  reporting: ReportSide;
  server: HttpServer;
  runtime: RuntimeHandle;
}

/** Checks first (bounded by shutdownTimeout), then what they wrote: image ages, the last findings. */
async function stopAgent({ config, log, shutdown, scheduler, usage, kube, reporting, server, runtime }: RunningParts): Promise<void> {
  shutdown.abort();
  const abandoned = await scheduler.stop(config.shutdownTimeout);
  if (abandoned.length) log.warn(`shutdown: abandoned ${abandoned.join(", ")} after ${config.shutdownTimeout} ms`);
  await usage.save().catch((err: unknown) => log.warn(`cannot save image ages: ${errorText(err)}`));
  await kube?.stop();
  // Findings of the last moments (a prune, a diagnosis) get a short chance to reach the aggregator.
  await reporting.stop();
  await server.close();
  runtime.close();
}
