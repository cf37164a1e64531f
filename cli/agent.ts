import { loadConfig } from "../agent/config/index.js";
import { startAgent } from "../agent/daemon/index.js";
import { ConfigError } from "../core/config/index.js";
import { createLogger, type LogLevel, setLogger } from "../core/log/index.js";
import { UsageError } from "./errors.js";
import { runUntilSignal } from "./until-signal.js";

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
      flags: {
        criEndpoint: flags.criEndpoint,
        hostsDir: flags.hostsDir,
        listen: flags.listen,
        stateFile: flags.stateFile,
        logFormat: flags.logFormat,
        logLevel,
        "kube.kubeconfig": flags.kubeconfig,
      },
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
  log.info(
    `pullmedic agent ${agent.state.version} on node ${config.nodeName ?? "?"}: state ${agent.url}/v1/state, metrics ${agent.url}/metrics, health ${agent.url}/healthz and /readyz`,
  );
  if (embedded) log.info(`dashboard: ${embedded.httpUrl}/ (the cluster view of this one machine; the aggregator's API is under ${embedded.httpUrl}/api/v1/)`);

  // The bound: the checks' own, then a few seconds for the state save, the report's last flush and the closes.
  const boundMs = config.shutdownTimeout + 5000;
  return runUntilSignal(
    log,
    `at most ${config.shutdownTimeout} ms for checks in flight`,
    async () => {
      await agent.stop();
      await embedded?.stop();
    },
    boundMs,
  );
}

/**
 * The aggregator for one machine: loopback only, no token (nothing else can reach it), its
 * database next to the agent's state file.
 */
async function startEmbeddedAggregator(flags: AgentFlags, stateFile: string, env: NodeJS.ProcessEnv, log: import("../core/log/index.js").Logger) {
  const { isLoopbackListen, loadAggregatorConfig, startAggregator } = await import("../aggregator/index.js");
  const { dirname, join } = await import("node:path");
  const httpListen = flags.dashboardListen ?? env["PULLMEDIC_DASHBOARD_LISTEN"] ?? "127.0.0.1:9478";
  if (!isLoopbackListen(httpListen))
    throw new UsageError(`--dashboard-listen ${httpListen}: the embedded aggregator has no token check, so it listens on loopback only`);
  let config;
  try {
    config = await loadAggregatorConfig({
      env: {},
      flags: {
        grpcListen: "127.0.0.1:0",
        httpListen,
        database: join(dirname(stateFile), "aggregator.db"),
        allowUnauthenticated: true,
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  return startAggregator(config, log).catch((err: unknown) => {
    throw new UsageError(`the embedded aggregator cannot start: ${err instanceof Error ? err.message : String(err)}`);
  });
}
