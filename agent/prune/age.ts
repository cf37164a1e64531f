const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|min|s|m|h|d|w)/y;

/**
 * "24h", "30m", "7d", "1h30m", "90s" or "0" → milliseconds; undefined when it is none of those.
 * Go's duration spelling (what kubelet's flags take) plus days and weeks, which is how image
 * ages are thought about.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "0") return 0;
  if (s === "") return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (m === null || m.index !== start) return undefined;
    const unit = UNIT_MS[m[2] ?? ""];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** An age as a person says it: "40 s", "12 min", "5 h", "3 d". Whole units, rounded down. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  // Up to two days hours read better than "1 d": "36 h" is not "1 d".
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** A configured duration, exact when it is whole: "24 h", "7 d", "90 min", "2 min". */
export function formatPolicyDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1000, "s"],
  ];
  if (ms === 0) return "0 s";
  // Hours up to two days, as formatAge does, so "unused for 30 h, under the 48 h minimum" compares.
  for (const [size, name] of units) {
    if (ms % size !== 0) continue;
    if (name === "d" && ms < 2 * 86_400_000) continue;
    return `${ms / size} ${name}`;
  }
  return `${ms} ms`;
}
