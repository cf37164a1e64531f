// The message table: every pull error string the runtimes, kubelet, registries and Go's libraries
// are known to write, one JSON file per component, with the answer explain must give for each.
// Entered through this door; loaded on demand (explainCoverage), never on the explain path.
import containerd from "./containerd.json" with { type: "json" };
import crio from "./cri-o.json" with { type: "json" };
import credentialProviders from "./credential-providers.json" with { type: "json" };
import distribution from "./distribution.json" with { type: "json" };
import docker from "./docker.json" with { type: "json" };
import go from "./go.json" with { type: "json" };
import kubelet from "./kubelet.json" with { type: "json" };
import registries from "./registries.json" with { type: "json" };
import { parseCorpusFile, type CorpusRow } from "./rows.js";

export type { CorpusRow, RowKind } from "./rows.js";
export { corpusCoverage, formatCoverage, judgeRow } from "./coverage.js";
export type { ComponentCoverage, CoverageReport, RowVerdict } from "./coverage.js";

const FILES: Record<string, unknown> = {
  "containerd.json": containerd,
  "cri-o.json": crio,
  "credential-providers.json": credentialProviders,
  "distribution.json": distribution,
  "docker.json": docker,
  "go.json": go,
  "kubelet.json": kubelet,
  "registries.json": registries,
};

/** Every row of the table, and the problems that make a stored row unusable (must be none). */
export function loadCorpus(): { rows: CorpusRow[]; problems: string[] } {
  const rows: CorpusRow[] = [];
  const problems: string[] = [];
  for (const [name, data] of Object.entries(FILES)) {
    const parsed = parseCorpusFile(name, data);
    rows.push(...parsed.rows);
    problems.push(...parsed.problems);
  }
  return { rows, problems };
}
