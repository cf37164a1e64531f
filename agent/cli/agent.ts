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
  const agent = await startAgent(config, log, env).catch((err: unknown) => {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  });
  log.info(`pullmedic agent ${agent.state.version} on node ${config.nodeName ?? "?"}: state ${agent.url}/v1/state, metrics ${agent.url}/metrics, health ${agent.url}/healthz and /readyz`);

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info(`${signal}: shutting down (at most ${config.shutdownTimeout} ms for checks in flight)`);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      void agent.stop().then(resolve, (err: unknown) => {
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
