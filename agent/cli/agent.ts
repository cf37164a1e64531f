import { ConfigError, loadConfig } from "../config/index.js";
import { startAgent } from "../daemon/agent.js";
import { createLogger, setLogger, type LogLevel } from "../log.js";
import { EXIT_OK, UsageError } from "./errors.js";

export interface AgentFlags {
  config?: string;
  criEndpoint?: string;
  hostsDir?: string;
  listen?: string;
  stateFile?: string;
  logFormat?: string;
  kubeconfig?: string;
  withAggregator?: boolean;
  dashboardListen?: string;
}

/**
 * Runs the node agent until SIGTERM or SIGINT. A configuration problem stops it before anything
 * starts (exit 2, every problem listed), so a typo never runs with silent defaults.
 */
export async function agentVerb(flags: AgentFlags, logLevel: LogLevel | undefined, env: NodeJS.ProcessEnv): Promise<number> {
  let config;
  try {
    config = await loadConfig({
      file: flags.config,
      env,
      flags: { criEndpoint: flags.criEndpoint, hostsDir: flags.hostsDir, listen: flags.listen, stateFile: flags.stateFile, logFormat: flags.logFormat, logLevel, "kube.kubeconfig": flags.kubeconfig },
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const log = createLogger(config.logFormat === "text" ? "cli" : "daemon", config.logLevel);
  setLogger(log);
  // Embedded mode (npm start): the aggregator in this process, so one command shows the dashboard.
  const embedded = flags.withAggregator ? await startEmbeddedAggregator(flags, config.stateFile, env, log) : undefined;
  const agent = await startAgent(config, log, { env, ...(embedded ? { aggregatorAddress: embedded.grpcAddress } : {}) }).catch(async (err: unknown) => {
    await embedded?.stop();
    throw new UsageError(err instanceof Error ? err.message : String(err));
  });
  log.info(`pullmedic agent ${agent.state.version} on node ${config.nodeName ?? "?"}: state ${agent.url}/v1/state, metrics ${agent.url}/metrics, health ${agent.url}/healthz and /readyz`);
  if (embedded) log.info(`dashboard: ${embedded.httpUrl}/ (the cluster view of this one machine; the aggregator's API is under ${embedded.httpUrl}/api/v1/)`);

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info(`${signal}: shutting down (at most ${config.shutdownTimeout} ms for checks in flight)`);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      void agent
        .stop()
        .then(() => embedded?.stop())
        .then(resolve, (err: unknown) => {
        log.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        resolve();
      });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  log.info("stopped");
  // Work still in flight was abandoned by stop(): a CRI pull keeps its gRPC call open until its
  // own deadline (minutes), and would keep the process alive past the shutdown bound that
  // Kubernetes' grace period is sized for. Log lines are already written: pipes and files are
  // synchronous on Linux.
  process.exit(EXIT_OK);
}

/**
 * The aggregator for one machine: loopback only, no token (nothing else can reach it), its
 * database next to the agent's state file.
 */
async function startEmbeddedAggregator(flags: AgentFlags, stateFile: string, env: NodeJS.ProcessEnv, log: import("../log.js").Logger) {
  const { loadAggregatorConfig, startAggregator } = await import("../../aggregator/index.js");
  const { dirname, join } = await import("node:path");
  let config;
  try {
    config = await loadAggregatorConfig({
      env: {},
      flags: {
        grpcListen: "127.0.0.1:0",
        httpListen: flags.dashboardListen ?? env["PULLMEDIC_DASHBOARD_LISTEN"] ?? "127.0.0.1:9478",
        database: join(dirname(stateFile), "aggregator.db"),
        allowUnauthenticated: true,
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (!/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):\d{1,5}$/.test(config.httpListen)) throw new UsageError(`--dashboard-listen ${config.httpListen}: the embedded aggregator has no token check, so it listens on loopback only`);
  return startAggregator(config, log).catch((err: unknown) => {
    throw new UsageError(`the embedded aggregator cannot start: ${err instanceof Error ? err.message : String(err)}`);
  });
}
