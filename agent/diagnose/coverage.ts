import type { CoverageReport } from "./corpus/index.js";

export type { CoverageReport } from "./corpus/index.js";

/**
 * `pullmedic explain --coverage`: the message table's size per component and per cause, the rule
 * count, and every row the rules do not answer as the table says (none when all is well). The
 * table is loaded on demand: nothing on the explain path pays for it.
 */
export async function explainCoverage(): Promise<{ report: CoverageReport; text: string; problems: string[] }> {
  const corpus = await import("./corpus/index.js");
  const { rows, problems } = corpus.loadCorpus();
  const report = corpus.corpusCoverage(rows);
  return { report, text: corpus.formatCoverage(report), problems };
}

/** Whether the table and the rules agree: every row answered, every rule backed. */
export function coverageHolds(r: CoverageReport): boolean {
  return r.unmatched.length === 0 && r.wrong.length === 0 && r.rulesWithoutRow.length === 0;
}
