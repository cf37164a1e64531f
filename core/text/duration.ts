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

/** The inverse for messages and state: 90000 → "1m30s". */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join("");
}

const HUMAN_UNITS = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["min", 60_000],
  ["s", 1000],
] as const;

/**
 * A duration as a person reads it in a message: the largest unit and, when it is not zero, the
 * next one, rounded down — "45 s", "2 min 13 s", "1 h 30 min", "6 h", "3 d 4 h"; under a second,
 * milliseconds. The one human spelling of a duration everywhere pullmedic writes text; a
 * configuration value is written back in its own spelling by formatDurationMs.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0 s";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const first = HUMAN_UNITS.findIndex(([, size]) => ms >= size);
  const [unit, size] = HUMAN_UNITS[first] ?? HUMAN_UNITS[3];
  const whole = Math.floor(ms / size);
  const next = HUMAN_UNITS[first + 1];
  const rest = next ? Math.floor((ms - whole * size) / next[1]) : 0;
  return next && rest > 0 ? `${whole} ${unit} ${rest} ${next[0]}` : `${whole} ${unit}`;
}
