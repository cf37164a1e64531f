/**
 * Splits a byte stream into newline-terminated lines (a watch stream is one JSON object per line),
 * keeping lines split across chunks together and bounding how long one line may grow: past the
 * bound the line is dropped as it arrives and reported once, instead of being held.
 */

export type SplitItem = { kind: "line"; line: Buffer } | { kind: "overlong" };

const NEWLINE = 0x0a;

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer): SplitItem[] {
    const out: SplitItem[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      const piece = chunk.subarray(start, nl === -1 ? chunk.length : nl);
      if (!this.discarding) {
        if (this.size + piece.length > this.maxLine) {
          this.discarding = true;
          this.parts = [];
          this.size = 0;
        } else if (piece.length > 0) {
          // A copy, so a held partial line does not pin the whole chunk it came in.
          this.parts.push(nl === -1 ? Buffer.from(piece) : piece);
          this.size += piece.length;
        }
      }
      if (nl === -1) break;
      if (this.discarding) {
        out.push({ kind: "overlong" });
        this.discarding = false;
      } else if (this.size > 0) {
        const line = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.size);
        if (!isBlank(line)) out.push({ kind: "line", line });
      }
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
    return out;
  }

  /** Bytes of an unfinished line held now (dropped when the stream ends). */
  pending(): number {
    return this.discarding ? this.maxLine : this.size;
  }
}

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}
