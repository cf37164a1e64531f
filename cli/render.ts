// The one way anything a verb ends with reaches the terminal: its answer as text or as one JSON
// object on stdout, a failure as one line on stderr (and an {error} object with --json), and the
// exit code: 0 healthy or done, 1 a problem found, 2 bad usage or bad input.
import type { CriError } from "../agent/runtime/index.js";
import { redactText } from "../core/log/index.js";
import { EXIT_PROBLEM, EXIT_USAGE, UsageError } from "./errors.js";
import { formatAnswer, type OutputFormat } from "./output.js";
import type { VerbOutcome } from "./verb.js";

/** Writes the answer, when the verb has one, in the format asked for, and returns the exit code. */
export async function writeOutcome(outcome: VerbOutcome, format: OutputFormat): Promise<number> {
  if ("text" in outcome) process.stdout.write(await formatAnswer(outcome, format));
  return outcome.exitCode;
}

/** A failure as one line naming what is wrong, never a stack trace; returns the exit code. */
export async function writeFailure(err: unknown, json: boolean): Promise<number> {
  // Imported on failure only: --help and the verbs that never reach a runtime do not load its client.
  const { CriError } = await import("../agent/runtime/index.js");
  const cri = err instanceof CriError ? err : undefined;
  const message = redactText(err instanceof Error ? err.message : String(err));
  process.stderr.write(`pullmedic: ${message}\n`);
  if (cri?.kind === "socket-missing" && cri.tried.length > 1) {
    process.stderr.write("hint: no runtime here? In a pullmedic checkout, `npm run lab` starts a real containerd and prints its socket.\n");
  }
  if (json) process.stdout.write(`${JSON.stringify({ error: { kind: err instanceof UsageError ? "usage" : (cri?.kind ?? "internal"), message } })}\n`);
  return exitCodeFor(err, cri);
}

/** An endpoint that cannot be reached at all is bad input; a runtime that fails is a problem found. */
function exitCodeFor(err: unknown, cri: CriError | undefined): number {
  if (err instanceof UsageError) return EXIT_USAGE;
  if (cri) return ["bad-endpoint", "socket-missing", "permission-denied", "not-cri"].includes(cri.kind) ? EXIT_USAGE : EXIT_PROBLEM;
  return EXIT_PROBLEM;
}
