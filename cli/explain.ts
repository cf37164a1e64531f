import { explainMessage } from "../agent/diagnose/index.js";
import { EXIT_OK, UsageError } from "./errors.js";
import type { VerbResult } from "./result.js";

export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    // Event messages are short; anything this large is not one, and memory stays bounded.
    if (size > 1024 * 1024) throw new UsageError("the message on stdin is larger than 1 MiB");
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function explainVerb(message: string): Promise<VerbResult> {
  const text = message === "-" ? await readStdin() : message;
  if (!text.trim()) throw new UsageError("explain needs a message: pullmedic explain 'MESSAGE' (or - to read it from stdin)");
  const e = explainMessage(text);
  const fix = e.fix.length ? `fix:\n${e.fix.map((f) => `  $ ${f.split("\n").join("\n    ")}`).join("\n")}\n` : "";
  return {
    exitCode: EXIT_OK,
    json: { cause: e.cause, summary: e.summary, fix: e.fix },
    text: `cause:   ${e.cause}\nsummary: ${e.summary}\n${fix}`,
  };
}
