/**
 * Closest existing tags to one that was not found: typos first (edit distance), then tags of the
 * same version series. Docker tags are not semver: "1.27.3-alpine" is version 1.27.3 in the
 * "-alpine" flavour, not a pre-release, so the flavour must match exactly and is never ranked.
 */

import { editDistance } from "../../core/text/index.js";

interface VersionTag {
  numbers: number[];
  /** Everything after the numbers, e.g. "-alpine", "-bookworm-slim"; "" for plain versions. */
  flavour: string;
  prefix: string;
}

const VERSION = /^(v?)(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(.*)$/;

export function parseVersionTag(tag: string): VersionTag | undefined {
  const m = VERSION.exec(tag);
  if (!m) return undefined;
  const numbers = [m[2], m[3], m[4]].filter((n): n is string => n !== undefined).map(Number);
  return { prefix: m[1] ?? "", numbers, flavour: m[5] ?? "" };
}

/** How far apart two versions of the same flavour are; undefined when they are not comparable. */
function versionGap(wanted: VersionTag, candidate: VersionTag): number | undefined {
  if (wanted.flavour !== candidate.flavour) return undefined;
  if (candidate.numbers[0] !== wanted.numbers[0]) return undefined;
  const weights = [1e12, 1e6, 1];
  let gap = 0;
  for (let i = 1; i < 3; i++) gap += Math.abs((candidate.numbers[i] ?? 0) - (wanted.numbers[i] ?? 0)) * (weights[i] ?? 1);
  // Same precision first: "1.27" is a better answer to "1.28" than "1.27.3".
  if (candidate.numbers.length !== wanted.numbers.length) gap += 0.5;
  // "v2.1.0" asked, "2.1.0" published: the same version, written differently.
  if (candidate.prefix !== wanted.prefix) gap += 0.25;
  return gap;
}

function compareVersionsDescending(a: VersionTag, b: VersionTag): number {
  for (let i = 0; i < 3; i++) {
    const d = (b.numbers[i] ?? -1) - (a.numbers[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

export function closestTags(wanted: string, existing: readonly string[], limit = 3): string[] {
  const maxTypos = wanted.length <= 4 ? 1 : 2;
  const wantedVersion = parseVersionTag(wanted);
  const typos: { tag: string; d: number }[] = [];
  const series: { tag: string; gap: number; version: VersionTag }[] = [];
  for (const tag of existing) {
    if (tag === wanted) continue;
    const d = editDistance(wanted.toLowerCase(), tag.toLowerCase(), maxTypos);
    if (d <= maxTypos) typos.push({ tag, d });
    const version = wantedVersion && parseVersionTag(tag);
    const gap = wantedVersion && version ? versionGap(wantedVersion, version) : undefined;
    if (version && gap !== undefined) series.push({ tag, gap, version });
  }
  typos.sort((a, b) => a.d - b.d || a.tag.localeCompare(b.tag));
  series.sort((a, b) => a.gap - b.gap || compareVersionsDescending(a.version, b.version));
  // For a version, its neighbours in the same series beat strings that merely look alike
  // ("1.27.9" → "1.27.3", not "1.27.0"); for a word, a one-letter typo is the likeliest answer.
  const ordered = series.length ? [...series.map((s) => s.tag), ...typos.map((t) => t.tag)] : typos.map((t) => t.tag);
  return [...new Set(ordered)].slice(0, limit);
}
