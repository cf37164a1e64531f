import { type Cause, isCause } from "../causes.js";
import type { CredentialSignal } from "../rules.js";

/**
 * One row of the message table: an error string as a component writes it (its format string
 * filled with realistic names), where it comes from, and the answer explain must give.
 */
export interface CorpusRow {
  /** Which file of the table the row is in: containerd, cri-o, kubelet, docker, … */
  component: string;
  message: string;
  /** The expected label; "unknown" where the text does not decide. */
  cause: Cause;
  /** False where the text cannot decide between causes: explain must say so. Default true. */
  confident: boolean;
  /** The rule expected to decide, when the row pins one. */
  rule?: string;
  /** Repository or product the wording comes from, e.g. "containerd/containerd", "Docker Hub". */
  project: string;
  /** File (or API, or page) that writes the text. */
  file: string;
  /** Release line or version the text was read from. */
  version: string;
  /** Where the wording was read: the component's source, its documentation, or an issue thread. */
  kind: RowKind;
  note?: string;
  /**
   * What the caller knew that the text does not say, as explain's context carries it: whether the
   * node had credentials for the image (a matching pull secret, a kubelet credential provider).
   */
  context?: { credentials: CredentialSignal };
}

export type RowKind = "source" | "docs" | "issue";

const KINDS: readonly RowKind[] = ["source", "docs", "issue"];

/**
 * A file of the table as it is stored: one component, its rows as plain data. Labels and kinds
 * are plain strings here and checked by parseCorpusFile, so a typo fails a test loudly.
 */
export interface StoredFile {
  component: string;
  rows: StoredRow[];
}

export interface StoredRow {
  message: string;
  cause: string;
  project: string;
  file: string;
  version: string;
  kind: string;
  confident?: boolean;
  rule?: string;
  note?: string;
  context?: { credentials: string };
}

/**
 * Checks one stored file and returns its rows, or the problems that name the file, the row and
 * the field: the table is data, and a typo in it must fail loudly rather than test nothing.
 */
export function parseCorpusFile(name: string, data: unknown): { rows: CorpusRow[]; problems: string[] } {
  const problems: string[] = [];
  const file = data as Partial<StoredFile> | null;
  if (file === null || typeof file !== "object" || typeof file.component !== "string" || !Array.isArray(file.rows)) {
    return { rows: [], problems: [`${name}: expected {"component": string, "rows": [...]}`] };
  }
  const rows: CorpusRow[] = [];
  file.rows.forEach((raw, i) => {
    const row = parseRow(file.component as string, raw);
    if (typeof row === "string") problems.push(`${name} row ${i}: ${row}`);
    else rows.push(row);
  });
  return { rows, problems };
}

function parseRow(component: string, raw: unknown): CorpusRow | string {
  if (raw === null || typeof raw !== "object") return "not an object";
  const r = raw as Record<string, unknown>;
  for (const field of ["message", "cause", "project", "file", "version", "kind"]) {
    if (typeof r[field] !== "string" || (r[field] as string).trim() === "") return `${field} must be a non-empty string`;
  }
  if (!isCause(r["cause"]) || r["cause"] === "ok") return `cause ${JSON.stringify(r["cause"])} is not a failure label`;
  if (!KINDS.includes(r["kind"] as RowKind)) return `kind must be one of ${KINDS.join(", ")}`;
  if (r["confident"] !== undefined && typeof r["confident"] !== "boolean") return "confident must be a boolean";
  if (r["rule"] !== undefined && typeof r["rule"] !== "string") return "rule must be a string";
  const context = parseContext(r["context"]);
  if (typeof context === "string") return context;
  const row: CorpusRow = {
    component,
    message: r["message"] as string,
    cause: r["cause"] as Cause,
    confident: r["confident"] !== false,
    project: r["project"] as string,
    file: r["file"] as string,
    version: r["version"] as string,
    kind: r["kind"] as RowKind,
  };
  if (typeof r["rule"] === "string") row.rule = r["rule"];
  if (typeof r["note"] === "string") row.note = r["note"];
  if (context !== undefined) row.context = context;
  return row;
}

function parseContext(raw: unknown): CorpusRow["context"] | string {
  if (raw === undefined) return undefined;
  const credentials = (raw as { credentials?: unknown } | null)?.credentials;
  if (credentials === "sent" || credentials === "none") return { credentials };
  return 'context must be {"credentials": "sent" | "none"}';
}
