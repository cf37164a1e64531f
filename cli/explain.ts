import { coverageHolds, explainCoverage, explainPaste, type PasteExplanation } from "../agent/diagnose/index.js";
import { EXIT_OK, EXIT_PROBLEM, UsageError } from "./errors.js";
import type { VerbResult } from "./result.js";

/** A `kubectl describe` of a busy pod is tens of KiB; a paste this large is not one, and memory stays bounded. */
const MAX_PASTE_BYTES = 1024 * 1024;

export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > MAX_PASTE_BYTES) throw new UsageError("the message on stdin is larger than 1 MiB");
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function explainVerb(message: string | undefined, flags: { coverage?: boolean } = {}): Promise<VerbResult> {
  if (flags.coverage) {
    if (message !== undefined) throw new UsageError("explain --coverage takes no message");
    return coverageResult();
  }
  if (message === undefined) throw new UsageError("explain needs a message: pullmedic explain 'MESSAGE' (or - to read it from stdin)");
  const text = message === "-" ? await readStdin() : message;
  if (!text.trim()) throw new UsageError("explain needs a message: pullmedic explain 'MESSAGE' (or - to read it from stdin)");
  const e = explainPaste(text);
  const fix = e.fix.length ? `fix:\n${e.fix.map((f) => `  $ ${f.split("\n").join("\n    ")}`).join("\n")}\n` : "";
  return {
    exitCode: EXIT_OK,
    json: { cause: e.cause, summary: e.summary, fix: e.fix },
    text: `${readFrom(e)}cause:   ${e.cause}\nsummary: ${e.summary}\n${fix}`,
  };
}

/** For a paste, which message of it was explained: the reader checks that it is the one they meant. */
function readFrom(e: PasteExplanation): string {
  if (e.source === "text" || e.candidates <= 1) return "";
  const shown = e.message.length > 300 ? `${e.message.slice(0, 300)}…` : e.message;
  return `read:    ${e.source}, ${e.candidates} pull messages; the most precise:\n         ${shown}\n`;
}

async function coverageResult(): Promise<VerbResult> {
  const { report, text, problems } = await explainCoverage();
  const holds = coverageHolds(report) && problems.length === 0;
  const problemText = problems.length ? `\nproblems:\n${problems.map((p) => `  ${p}`).join("\n")}\n` : "";
  return { exitCode: holds ? EXIT_OK : EXIT_PROBLEM, json: { ...report, problems }, text: `${text}${problemText}` };
}
