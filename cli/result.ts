/** What a verb hands back to main: the exit code and both renderings of its answer. */
export interface VerbResult {
  exitCode: number;
  json: Record<string, unknown>;
  text: string;
  /** With -o wide: the text with more columns (default: text). */
  wide?: string;
  /** With -o name: kind/name lines (default: derived from the first list in json). */
  names?: string[];
}
