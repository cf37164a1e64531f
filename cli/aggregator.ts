import { AggregatorConfigError, loadAggregatorConfig, startAggregator } from "../aggregator/index.js";
import { createLogger, type LogLevel, setLogger } from "../core/log/index.js";
import { UsageError } from "./errors.js";
import { runUntilSignal } from "./until-signal.js";

export interface AggregatorFlags {
  config?: string;
  grpcListen?: string;
  httpListen?: string;
  database?: string;
  tokenFile?: string;
  logFormat?: string;
}

/**
 * Runs the aggregator until SIGTERM or SIGINT. A configuration problem stops it before any port
 * opens (exit 2, every problem listed); a clean stop exits 0.
 */
export async function aggregatorVerb(flags: AggregatorFlags, logLevel: LogLevel | undefined, env: NodeJS.ProcessEnv): Promise<number> {
  let config;
  try {
    config = await loadAggregatorConfig({
      file: flags.config,
      env,
      flags: {
        grpcListen: flags.grpcListen,
        httpListen: flags.httpListen,
        database: flags.database,
        tokenFile: flags.tokenFile,
        logFormat: flags.logFormat,
        logLevel,
      },
    });
  } catch (err) {
    if (err instanceof AggregatorConfigError) throw new UsageError(err.message);
    throw err;
  }
  const log = createLogger(config.logFormat === "text" ? "cli" : "daemon", config.logLevel);
  setLogger(log);
  const aggregator = await startAggregator(config, log).catch((err: unknown) => {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  });
  log.info(`pullmedic aggregator: gRPC ${aggregator.grpcAddress}, dashboard ${aggregator.httpUrl}/`);

  return runUntilSignal(log, "ending agent streams, committing what is queued, closing the database", () => aggregator.stop());
}
