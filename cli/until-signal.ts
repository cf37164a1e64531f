import type { Logger } from "../core/log/index.js";
import { EXIT_OK } from "./errors.js";

/** Requests that run on libuv's thread pool: a file system call, a name lookup. */
const THREAD_POOL_REQUEST = /^(FSReq|GetAddrInfo|GetNameInfo)/;
/** How long requests still running after stop() get to finish before they count as stuck. */
const SETTLE_MS = 1000;

/**
 * Waits for SIGTERM or SIGINT, then stops what runs (`what` says what stopping does, for the log)
 * and exits 0. The exit ends work stop() abandoned — a CRI pull keeps its gRPC call open until its
 * own deadline, a peer may keep a connection half-open — which would otherwise keep the process
 * past the grace period Kubernetes gives it. With `boundMs`, a stop() that takes longer is given up
 * on and the process exits all the same. Log lines are already written: pipes and files are
 * synchronous on Linux.
 */
export async function runUntilSignal(log: Logger, what: string, stop: () => Promise<unknown>, boundMs?: number): Promise<never> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (received: NodeJS.Signals) => {
      log.info(`${received}: shutting down (${what})`);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      const stopped = stop().catch((err: unknown) => {
        log.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
      });
      const bound = new Promise<void>((done) => {
        if (boundMs === undefined) return;
        setTimeout(() => {
          log.warn(`shutdown: still stopping after ${boundMs} ms; exiting anyway`);
          done();
        }, boundMs).unref();
      });
      void Promise.race([stopped, bound]).then(() => resolve(received));
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  return exitNow(signal, log);
}

/**
 * Node's exit waits for every thread of its pool, and a thread blocked in the kernel (a read on a
 * hung NFS mount, a resolver that never answers) never comes back: the process would outlive its
 * grace period and be killed. When such a request is still running, the process ends by the signal
 * it was sent instead, which waits for nothing.
 */
async function exitNow(signal: NodeJS.Signals, log: Logger): Promise<never> {
  const deadline = Date.now() + SETTLE_MS;
  let stuck = threadPoolRequests();
  while (stuck > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    stuck = threadPoolRequests();
  }
  if (stuck > 0) {
    log.warn(`stopped; ${stuck} file or name request(s) are stuck in the kernel (a hung mount or resolver?): ending by ${signal}, as exit would wait for them`);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return new Promise<never>(() => undefined);
  }
  log.info("stopped");
  process.exit(EXIT_OK);
}

function threadPoolRequests(): number {
  return process.getActiveResourcesInfo().filter((r) => THREAD_POOL_REQUEST.test(r)).length;
}
