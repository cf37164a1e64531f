// The message table: every pull error string the runtimes, kubelet, registries and Go's libraries
// are known to write, one data file per component, with the answer explain must give for each.
// (Data as TypeScript literals, not JSON: the image ships dist/ as JavaScript only.)
// Entered through this door; loaded on demand (explainCoverage), never on the explain path.
import { containerd } from "./containerd.js";
import { credentialProviders } from "./credential-providers.js";
import { crio } from "./cri-o.js";
import { distribution } from "./distribution.js";
import { docker } from "./docker.js";
import { go } from "./go.js";
import { kubelet } from "./kubelet.js";
import { registries } from "./registries.js";
import { type CorpusRow, parseCorpusFile } from "./rows.js";

export type { CoverageReport } from "./coverage.js";
export { corpusCoverage, formatCoverage } from "./coverage.js";
export type { CorpusRow } from "./rows.js";

const FILES: Record<string, unknown> = {
  "containerd.ts": containerd,
  "cri-o.ts": crio,
  "credential-providers.ts": credentialProviders,
  "distribution.ts": distribution,
  "docker.ts": docker,
  "go.ts": go,
  "kubelet.ts": kubelet,
  "registries.ts": registries,
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
