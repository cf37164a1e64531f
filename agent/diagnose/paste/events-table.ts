import type { WorkloadNames } from "../explain-scene.js";
import { type PasteReading, PULL_WORDS } from "./candidate.js";
import { containerFromFieldPath, mergeNames, podRef, validName } from "./names.js";

// Current kubectl (OBJECT, -o wide adds SUBOBJECT, SOURCE, FIRST SEEN, COUNT, NAME) and kubectl
// ≤ 1.13 (LAST SEEN, FIRST SEEN, COUNT, NAME, KIND, SUBOBJECT, TYPE, REASON, SOURCE, MESSAGE).
const COLUMNS = ["NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "KIND", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT", "NAME"] as const;
type Column = (typeof COLUMNS)[number];

/**
 * `kubectl get events` as a table (with -A, with -o wide): columns are found by the header's
 * positions, so a MESSAGE followed by FIRST SEEN, COUNT and NAME (wide) is cut where they start.
 */
export function readEventsTable(lines: readonly string[], out: PasteReading, order: { next: number }, paste: WorkloadNames): boolean {
  let found = false;
  let cols: { name: Column; at: number }[] | undefined;
  for (const line of lines) {
    if (/^(?:NAMESPACE\s+)?LAST SEEN\s+(?:FIRST SEEN\s+COUNT\s+NAME\s+KIND\s+)?.*\bMESSAGE\b/.test(line)) {
      cols = COLUMNS.map((name) => ({ name, at: headerIndex(line, name) }))
        .filter((c) => c.at >= 0)
        .sort((a, b) => a.at - b.at);
      found = true;
      continue;
    }
    if (cols === undefined || line.trim() === "") continue;
    const row = sliceRow(line, cols);
    const message = row.MESSAGE ?? "";
    if (!PULL_WORDS.test(message)) continue;
    out.candidates.push({ message, source: "events-table", names: rowNames(row, paste), order: order.next++ });
  }
  return found;
}

function headerIndex(line: string, name: Column): number {
  // "NAME" also occurs inside "NAMESPACE": only a whole header word counts.
  const m = new RegExp(`(?:^|\\s)${name}(?=\\s|$)`).exec(line);
  return m === null ? -1 : m.index + (m[0].startsWith(name) ? 0 : 1);
}

function sliceRow(line: string, cols: { name: Column; at: number }[]): Partial<Record<Column, string>> {
  const row: Partial<Record<Column, string>> = {};
  cols.forEach((c, i) => {
    const end = cols[i + 1]?.at ?? line.length;
    row[c.name] = line.slice(c.at, c.name === "MESSAGE" && i === cols.length - 1 ? line.length : end).trim();
  });
  return row;
}

function rowNames(row: Partial<Record<Column, string>>, paste: WorkloadNames): WorkloadNames {
  const names: WorkloadNames = {};
  const object = /^pod\/(\S{1,253})$/i.exec(row.OBJECT ?? "")?.[1] ?? (row.KIND === "Pod" ? row.NAME : undefined);
  if (object !== undefined) Object.assign(names, podRef(object));
  const ns = validName(row.NAMESPACE);
  if (ns !== undefined) names.namespace = ns;
  const container = containerFromFieldPath(row.SUBOBJECT ?? "");
  if (container !== undefined) names.container = container;
  const node = /^kubelet,?\s+(\S+)$/.exec(row.SOURCE ?? "")?.[1];
  if (validName(node) !== undefined) names.node = node as string;
  return mergeNames(names, paste);
}
