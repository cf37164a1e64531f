const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** IEC units, always one decimal, exactly as `ctr images ls` prints sizes. */
export function humanBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${oneDecimal(value)} ${UNITS[unit]}`;
}

/** Rounds half to even, as Go's %.1f does, so our sizes read exactly like ctr's. */
function oneDecimal(value: number): string {
  const tenths = value * 10;
  const floor = Math.floor(tenths);
  const rest = tenths - floor;
  const rounded = Math.abs(rest - 0.5) < 1e-9 ? (floor % 2 === 0 ? floor : floor + 1) : Math.round(tenths);
  return (rounded / 10).toFixed(1);
}

export function humanCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** Columns padded to the widest cell; numbers-looking columns listed in `right` align right. */
export function table(headers: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return right.has(i) ? c.padStart(w) : i === cells.length - 1 ? c : c.padEnd(w);
      })
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

export function shortId(id: string): string {
  const hex = id.startsWith("sha256:") ? id.slice(7) : id;
  return hex.slice(0, 12);
}
