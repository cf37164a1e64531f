/** What a verb hands back to main: the exit code and both renderings of its answer. */
export interface VerbResult {
  exitCode: number;
  json: Record<string, unknown>;
  text: string;
}
