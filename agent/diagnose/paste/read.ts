import { emptyReading, type PasteReading } from "./candidate.js";
import { readDescribe } from "./describe.js";
import { readEventsTable } from "./events-table.js";
import { readLogLines } from "./journal.js";
import { mergeNames, validName } from "./names.js";
import { readObjects } from "./objects.js";

/** A paste larger than this is cut, keeping its end (the latest events and log lines). */
export const MAX_PASTE_CHARS = 1024 * 1024;

/**
 * Everything a pasted text holds that explain can use: every pull message in it, with the names
 * around it. Reads Kubernetes objects (JSON, YAML), `kubectl describe pod`, `kubectl get events`
 * tables and log lines; a text that is none of these is one message.
 */
export function readPaste(text: string): PasteReading {
  const input = typeof text !== "string" ? "" : text.length > MAX_PASTE_CHARS ? text.slice(-MAX_PASTE_CHARS) : text;
  const out = emptyReading();
  const order = { next: 0 };
  if (input.trim() === "") return out;
  if (readObjects(input, out, order)) return out;
  // k9s and other TUIs frame their panes: the frame is not part of the text.
  const lines = input
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((l) => l.replace(/^\s{0,4}[│┃║] ?/, "").replace(/\s{0,200}[│┃║]\s{0,4}$/, ""));
  out.names = mergeNames(out.names, commandLineNames(lines));
  const described = readDescribe(lines, out, order);
  const tabled = readEventsTable(lines, out, order, out.names);
  const logged = readLogLines(lines, out, order);
  if (!described && !tabled && !logged) out.candidates.push({ message: input, source: "text", names: {}, order: order.next++ });
  return out;
}

/** `kubectl get events -n shop` pasted with its output: the namespace the table leaves out. */
function commandLineNames(lines: readonly string[]): { namespace?: string } {
  for (const line of lines) {
    const cmd = /^\s*(?:\$\s*)?kubectl\s.{0,400}?(?:-n[= ]|--namespace[= ])([a-z0-9][-a-z0-9]{0,62})\b/.exec(line);
    const ns = validName(cmd?.[1]);
    if (ns !== undefined) return { namespace: ns };
  }
  return {};
}
