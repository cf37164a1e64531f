// A command lives only in the agent process that received it (waiting for its start time, or
// pulling): when that process restarts, or the stream died before the command arrived, the node
// would never finish it and the command would never be done. So a node that says hello gets again
// every recent command it has not finished (an agent still running it ignores it).

import type { Logger } from "../core/log/index.js";
import { type Command, isFinalCommandState } from "../core/protocol/index.js";
import type { Store } from "./store/index.js";

/** Unfinished pre-pulls are sent again to a node that reconnects while they are this recent (or still to start). */
const RESEND_WITHIN_MS = 86_400_000;
const RESEND_COMMANDS = 50;
/** After a restart of the aggregator every node says hello at once: the list is read once for them. */
const CACHE_MS = 5000;

interface RecentCommand {
  id: string;
  images: string[];
  /** node → its planned start, ms epoch */
  starts: Map<string, number>;
}

export class UnfinishedCommands {
  private recent: { at: number; commands: RecentCommand[] } | undefined;

  constructor(
    private readonly store: Pick<Store, "latestCommands" | "commandStates">,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /** A command was recorded: the next hello reads the list again. */
  invalidate(): void {
    this.recent = undefined;
  }

  /** Sends the node again every recent command planned for it that it has not finished. */
  async resendTo(node: string, send: (node: string, cmd: Command) => boolean): Promise<void> {
    for (const c of await this.recentCommands()) {
      const notBeforeMs = c.starts.get(node);
      if (notBeforeMs === undefined) continue;
      const states = new Map((await this.store.commandStates(c.id, node)).map((u) => [u.image, u.state]));
      if (c.images.every((image) => isFinalCommandState(states.get(image)))) continue;
      if (send(node, { id: c.id, kind: "prepull", prepull: { images: c.images, notBeforeMs } })) {
        this.log.info(`node ${node}: pre-pull ${c.id} sent again (the node has not finished it)`);
      }
    }
  }

  private async recentCommands(): Promise<RecentCommand[]> {
    const t = this.now();
    if (!this.recent || t - this.recent.at > CACHE_MS || t < this.recent.at) {
      const commands = (await this.store.latestCommands(RESEND_COMMANDS))
        .filter((c) => c.createdMs >= t - RESEND_WITHIN_MS || c.plan.some((p) => p.notBeforeMs > t))
        .map((c) => ({ id: c.id, images: c.images, starts: new Map(c.plan.map((p) => [p.node, p.notBeforeMs])) }));
      this.recent = { at: t, commands };
    }
    return this.recent.commands;
  }
}
