import type { Logger } from "../core/log/index.js";
import { EXIT_OK } from "./errors.js";

/**
 * Waits for SIGTERM or SIGINT, then stops what runs (`what` says what stopping does, for the log)
 * and exits 0. The exit ends work stop() abandoned — a CRI pull keeps its gRPC call open until its
 * own deadline, a peer may keep a connection half-open — which would otherwise keep the process
 * past the grace period Kubernetes gives it. Log lines are already written: pipes and files are
 * synchronous on Linux.
 */
export async function runUntilSignal(log: Logger, what: string, stop: () => Promise<unknown>): Promise<never> {
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info(`${signal}: shutting down (${what})`);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      void stop().then(
        () => resolve(),
        (err: unknown) => {
          log.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
          resolve();
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  log.info("stopped");
  process.exit(EXIT_OK);
}
