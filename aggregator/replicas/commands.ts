// Pre-pull commands across replicas: the replica that records a command for a node whose stream
// it does not hold NOTIFYs {node, id} on a channel; every replica LISTENs on its own connection
// and the one holding the node's stream reads the command from the database and sends it (two
// holding it for a moment both send: an agent ignores a command it already runs). A notification
// missed while the listening connection was down is not lost for good: a node that says hello
// again is sent every unfinished command (resend.ts). The connection comes back with back-off.

import type { Client } from "pg";
import type { Logger } from "../../core/log/index.js";
import type { Command } from "../../core/protocol/index.js";
import type { Store } from "../store/index.js";
import { COMMANDS_CHANNEL } from "./database.js";

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15_000;

export interface CommandListenerDeps {
  connect: () => Promise<Client>;
  store: Pick<Store, "command">;
  /** Whether this process holds a stream of the node's. */
  holds: (node: string) => boolean;
  /** Writes the command to the node's stream in this process; false when none is here. */
  sendLocal: (node: string, cmd: Command) => boolean;
  log: Logger;
}

/** Listens until the returned stop is called, reconnecting with back-off and jitter. */
export async function listenForCommands(deps: CommandListenerDeps): Promise<() => Promise<void>> {
  let stopped = false;
  let client: Client | undefined;
  let retryMs = RETRY_MIN_MS;
  let timer: NodeJS.Timeout | undefined;
  const open = async (): Promise<void> => {
    timer = undefined;
    if (stopped) return;
    try {
      const c = await deps.connect();
      c.on("error", () => undefined);
      c.on("end", () => {
        if (client === c) client = undefined;
        if (!stopped) later();
      });
      c.on("notification", (m) => void deliver(m.payload, deps));
      await c.query(`LISTEN ${COMMANDS_CHANNEL}`);
      client = c;
      retryMs = RETRY_MIN_MS;
      if (stopped) await c.end();
    } catch (err) {
      deps.log.warn(`replicas: cannot listen for commands (${err instanceof Error ? err.message : String(err)}); trying again`);
      later();
    }
  };
  const later = () => {
    if (timer !== undefined || stopped) return;
    timer = setTimeout(() => void open(), retryMs / 2 + Math.random() * (retryMs / 2));
    timer.unref();
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  };
  await open();
  return async () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    await client?.end().catch(() => undefined);
  };
}

async function deliver(payload: string | undefined, { store, holds, sendLocal, log }: CommandListenerDeps): Promise<void> {
  try {
    const { node, id } = JSON.parse(payload ?? "") as { node?: unknown; id?: unknown };
    if (typeof node !== "string" || typeof id !== "string" || !holds(node)) return;
    const stored = await store.command(id);
    const start = stored?.plan.find((p) => p.node === node);
    if (stored === undefined || start === undefined) return;
    if (sendLocal(node, { id, kind: "prepull", prepull: { images: stored.images, notBeforeMs: start.notBeforeMs } })) {
      log.info(`node ${node}: pre-pull ${id} sent (recorded by another replica)`);
    }
  } catch (err) {
    log.warn(`replicas: a command notification could not be delivered: ${err instanceof Error ? err.message : String(err)}`);
  }
}
