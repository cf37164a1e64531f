import { CAUSES, type Cause } from "../causes.js";
import { classifyMessage } from "../classify.js";
import { MESSAGE_HINTS } from "../hints.js";
import { MESSAGE_RULES, type MessageRule } from "../rules.js";
import type { CorpusRow, RowKind } from "./rows.js";

/** How one row fared: the answer the rules gave and whether it is the row's. */
export interface RowVerdict {
  row: CorpusRow;
  cause: Cause;
  rule: string | undefined;
  confident: boolean;
  /** Empty when the answer is the row's; otherwise what differs, for a person. */
  problems: string[];
}

export interface ComponentCoverage {
  component: string;
  rows: number;
  byKind: Record<RowKind, number>;
  byCause: Partial<Record<Cause, number>>;
  projects: string[];
}

export interface CoverageReport {
  rows: number;
  rules: number;
  hints: number;
  components: ComponentCoverage[];
  byCause: Partial<Record<Cause, number>>;
  /** Rules no row is decided by: every rule must be backed by a row. */
  rulesWithoutRow: string[];
  /** Rows that expect a label and that no rule decided (must be none). */
  unmatched: RowVerdict[];
  /** Rows that got another label, another rule than the one they pin, or the wrong confidence (must be none). */
  wrong: RowVerdict[];
}

function judgeRow(row: CorpusRow): RowVerdict {
  const c = classifyMessage(row.message, row.context ?? {});
  const problems: string[] = [];
  if (c.cause !== row.cause) problems.push(`cause ${c.cause} (rule ${c.ruleId ?? "none"}), expected ${row.cause}`);
  if (row.rule !== undefined && c.ruleId !== row.rule) problems.push(`rule ${c.ruleId ?? "none"}, expected ${row.rule}`);
  // Confidence is a promise only about labels; "unknown" is never confident.
  if (row.cause !== "unknown" && c.cause === row.cause && c.confident !== row.confident) {
    problems.push(c.confident ? "a confident answer where the text cannot decide" : "a hedged answer where the text decides");
  }
  return { row, cause: c.cause, rule: c.ruleId, confident: c.confident, problems };
}

/** The table's size per component and per label, and every row the rules get wrong. */
export function corpusCoverage(rows: readonly CorpusRow[], rules: readonly MessageRule[] = MESSAGE_RULES): CoverageReport {
  const verdicts = rows.map(judgeRow);
  const used = new Set(verdicts.filter((v) => v.problems.length === 0 && v.rule !== undefined).map((v) => v.rule));
  return {
    rows: rows.length,
    rules: rules.length,
    hints: MESSAGE_HINTS.length,
    components: byComponent(rows),
    byCause: countCauses(rows),
    rulesWithoutRow: rules.map((r) => r.id).filter((id) => !used.has(id)),
    unmatched: verdicts.filter((v) => v.problems.length > 0 && v.rule === undefined && v.row.cause !== "unknown"),
    wrong: verdicts.filter((v) => v.problems.length > 0 && !(v.rule === undefined && v.row.cause !== "unknown")),
  };
}

function byComponent(rows: readonly CorpusRow[]): ComponentCoverage[] {
  const names = [...new Set(rows.map((r) => r.component))].sort();
  return names.map((component) => {
    const mine = rows.filter((r) => r.component === component);
    const byKind: Record<RowKind, number> = { source: 0, docs: 0, issue: 0 };
    for (const r of mine) byKind[r.kind]++;
    return { component, rows: mine.length, byKind, byCause: countCauses(mine), projects: [...new Set(mine.map((r) => r.project))].sort() };
  });
}

function countCauses(rows: readonly CorpusRow[]): Partial<Record<Cause, number>> {
  const out: Partial<Record<Cause, number>> = {};
  for (const cause of CAUSES) {
    const n = rows.filter((r) => r.cause === cause).length;
    if (n > 0) out[cause] = n;
  }
  return out;
}

/** The report as `pullmedic explain --coverage` prints it for a person. */
export function formatCoverage(r: CoverageReport): string {
  const lines = [
    `message table: ${r.rows} rows, ${r.rules} rules, ${r.hints} hints for families without a label`,
    "",
    "rows per component (source/docs/issue):",
  ];
  for (const c of r.components)
    lines.push(`  ${c.component.padEnd(22)} ${String(c.rows).padStart(4)}  (${c.byKind.source}/${c.byKind.docs}/${c.byKind.issue})  ${c.projects.join(", ")}`);
  lines.push("", "rows per cause:");
  for (const [cause, n] of Object.entries(r.byCause)) lines.push(`  ${cause.padEnd(22)} ${String(n).padStart(4)}`);
  lines.push("", `rules without a row: ${r.rulesWithoutRow.length === 0 ? "none" : r.rulesWithoutRow.join(", ")}`);
  lines.push(`rows no rule decides: ${r.unmatched.length === 0 ? "none" : ""}`);
  for (const v of r.unmatched) lines.push(`  [${v.row.component}] ${v.row.message.slice(0, 160)}`);
  lines.push(`rows answered wrongly: ${r.wrong.length === 0 ? "none" : ""}`);
  for (const v of r.wrong) lines.push(`  [${v.row.component}] ${v.problems.join("; ")}: ${v.row.message.slice(0, 160)}`);
  return `${lines.join("\n")}\n`;
}
