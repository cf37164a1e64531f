import { parseDuration } from "../../core/text/index.js";

export { parseDuration };

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
