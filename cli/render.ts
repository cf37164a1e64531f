// The one way anything a verb ends with reaches the terminal: its answer as text or as one JSON
// object on stdout, a failure as one line on stderr (and an {error} object with --json), and the
// exit code: 0 healthy or done, 1 a problem found, 2 bad usage or bad input. Everything written
// here is redacted (credential shapes and every credential value the process loaded) and, as text,
// stripped of control characters: registry bodies, image arguments and error messages come from
// outside and must neither leak a password nor drive the terminal.
import type { CriError } from "../agent/runtime/index.js";
import { escapeC1InJson, redactStrings, redactText, stripControlCharacters } from "../core/log/index.js";
import { EXIT_PROBLEM, EXIT_USAGE, UsageError } from "./errors.js";
import { formatAnswer, type OutputFormat } from "./output.js";
import type { VerbOutcome } from "./verb.js";

/** Writes the answer, when the verb has one, in the format asked for, and returns the exit code. */
export async function writeOutcome(outcome: VerbOutcome, format: OutputFormat): Promise<number> {
  if ("text" in outcome) {
    const answer =
      format === "json"
        ? jsonLine(outcome.json)
        : terminalText(await formatAnswer({ ...outcome, json: redactStrings(outcome.json) as Record<string, unknown> }, format));
    process.stdout.write(answer);
  }
  return outcome.exitCode;
}

/** Progress lines a verb writes as it goes, before its answer. */
export function writeProgress(text: string): void {
  process.stdout.write(terminalText(text));
}

/** A failure as one line naming what is wrong, never a stack trace; returns the exit code. */
export async function writeFailure(err: unknown, json: boolean): Promise<number> {
  // Imported on failure only: --help and the verbs that never reach a runtime do not load its client.
  const { CriError } = await import("../agent/runtime/index.js");
  const cri = err instanceof CriError ? err : undefined;
  const message = redactText(err instanceof Error ? err.message : String(err));
  process.stderr.write(`pullmedic: ${stripControlCharacters(message)}\n`);
  if (cri?.kind === "socket-missing" && cri.tried.length > 1) {
    process.stderr.write("hint: no runtime here? In a pullmedic checkout, `npm run lab` starts a real containerd and prints its socket.\n");
  }
  if (json) process.stdout.write(jsonLine({ error: { kind: err instanceof UsageError ? "usage" : (cri?.kind ?? "internal"), message } }));
  return exitCodeFor(err, cri);
}

/** Text for a terminal: redacted, without control characters but newline and tab. */
export function terminalText(text: string): string {
  return stripControlCharacters(redactText(text));
}

/** One JSON object on a line: every string redacted; JSON already escapes C0 controls, C1 ones are escaped too. */
function jsonLine(value: unknown): string {
  return `${escapeC1InJson(JSON.stringify(redactStrings(value)))}\n`;
}

/** An endpoint that cannot be reached at all is bad input; a runtime that fails is a problem found. */
function exitCodeFor(err: unknown, cri: CriError | undefined): number {
  if (err instanceof UsageError) return EXIT_USAGE;
  if (cri) return ["bad-endpoint", "socket-missing", "permission-denied", "not-cri"].includes(cri.kind) ? EXIT_USAGE : EXIT_PROBLEM;
  return EXIT_PROBLEM;
}
