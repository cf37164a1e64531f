// The aggregator's commands, carried out on this node. One kind today: a cluster-wide pre-pull,
// whose progress goes back per image until every image has a final state on this node.

import type { Logger } from "../../core/log/index.js";
import { type Command, type CommandUpdate, isFinalCommandState } from "../../core/protocol/index.js";
import type { PrepullImageStatus, PrepullTarget } from "../prepull/index.js";
import type { NodeState } from "../report/index.js";
import { errorText } from "./error-text.js";

const MAX_TAKEN_COMMANDS = 1000;

export interface CommandDeps {
  log: Logger;
  state: NodeState;
  /** Runs a pre-pull round of these images (one at a time with the scheduled ones). */
  prepull: (targets: PrepullTarget[], onProgress: (s: PrepullImageStatus) => void) => Promise<unknown>;
  /** Resolves false when the agent stops during the wait. */
  pause: (ms: number) => Promise<boolean>;
  /** Sends a command's progress to the aggregator. */
  send: (update: CommandUpdate) => void;
}

export class AggregatorCommands {
  /**
   * Commands this process has taken, newest last (bounded): the aggregator sends an unfinished
   * command again when the agent reconnects, in case the process that had it restarted.
   */
  private readonly taken = new Set<string>();

  constructor(private readonly deps: CommandDeps) {}

  take(command: Command): void {
    const { log } = this.deps;
    if (command.prepull === undefined) {
      log.warn(`aggregator command ${command.id}: a kind this agent does not know; ignored`);
      return;
    }
    if (this.taken.has(command.id)) {
      log.debug(`aggregator command ${command.id}: already taken by this agent; ignored`);
      return;
    }
    this.taken.add(command.id);
    if (this.taken.size > MAX_TAKEN_COMMANDS) {
      const oldest = this.taken.values().next();
      if (!oldest.done) this.taken.delete(oldest.value);
    }
    const { images, notBeforeMs } = command.prepull;
    log.info(
      `aggregator command ${command.id}: pre-pull ${images.join(", ")}${notBeforeMs > Date.now() ? ` from ${new Date(notBeforeMs).toISOString()}` : ""}`,
    );
    void carryOutPrepull(command.id, images, notBeforeMs, this.deps);
  }
}

interface UpdateDetail {
  cause?: string;
  summary?: string;
  durationMs?: number;
}

async function carryOutPrepull(id: string, images: string[], notBeforeMs: number, deps: CommandDeps): Promise<void> {
  const update = (image: string, state: string, extra: UpdateDetail = {}) =>
    deps.send({ commandId: id, image, state, cause: extra.cause ?? "", summary: extra.summary ?? "", durationMs: extra.durationMs ?? 0, atMs: Date.now() });
  const started = Date.now();
  const seen = new Map<string, string>();
  // Every image of the command ends with a final state on this node, whatever happens to the
  // round: a round that cannot run (no runtime), throws, or says nothing about an image would
  // otherwise leave the command waiting on this node forever.
  const finish = (why: string): void => {
    for (const image of images) {
      if (isFinalCommandState(seen.get(image))) continue;
      seen.set(image, "failed");
      update(image, "failed", { cause: "unknown", summary: why });
    }
  };
  try {
    for (const image of images) update(image, "waiting");
    // Staggered by the aggregator so each egress source stays within Docker Hub's quota.
    const wait = notBeforeMs - Date.now();
    if (wait > 0 && !(await deps.pause(wait))) {
      finish("the agent stopped before the pre-pull's start time");
      return;
    }
    await deps.prepull(
      images.map((image) => ({ image })),
      (s) => {
        const state = s.action ?? s.state;
        if (seen.get(s.image) === state) return;
        seen.set(s.image, state);
        if (isFinalCommandState(state))
          update(s.image, state, {
            ...(s.cause ? { cause: s.cause } : {}),
            ...(s.summary ? { summary: s.summary } : {}),
            ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}),
          });
        else update(s.image, state);
      },
    );
    // The agent's prepull check records a round that failed as a whole (its error is not thrown).
    const check = deps.state.get("prepull");
    const failedRound = check !== undefined && !check.ok && Date.parse(check.at) >= started - 1000 ? check.error : undefined;
    finish(failedRound !== undefined ? `the pre-pull round failed: ${failedRound}` : "the pre-pull round ended without an outcome for this image");
  } catch (err) {
    const message = errorText(err);
    deps.log.warn(`aggregator command ${id} failed: ${message}`);
    finish(`the pre-pull round failed: ${message}`);
  }
}
