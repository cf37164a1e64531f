import type { Readable } from "node:stream";

/**
 * Calls `onRecord` with each line a process writes as one JSON log record; a line that is not JSON
 * arrives as `{ unparsed: line }`, so nothing a failing process says is lost from a test's report.
 */
export function onJsonLines(stream: Readable | null | undefined, onRecord: (record: Record<string, unknown>) => void): void {
  let buffered = "";
  stream?.on("data", (d: Buffer) => {
    buffered += d;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        record = { unparsed: line };
      }
      onRecord(record);
    }
  });
}
