import { ImageReferenceError, tryParseReference } from "../../../core/image/index.js";
import type { CredentialProvider, CredentialProviderConfig } from "./config.js";

/**
 * kubelet's matchImages rule (pkg/credentialprovider URLsMatch): the glob and the image are read
 * as host[:port][/path]; ports must be equal, hosts must have as many dot-separated parts, each
 * part matches as a filepath glob (`*`, `?`, `[a-z]`, never across a dot), and the glob's path must
 * be a prefix of the image's.
 */
export function matchesImage(glob: string, image: string): boolean {
  const g = splitSchemeless(glob);
  const t = splitSchemeless(image);
  if (g === undefined || t === undefined) return false;
  if (g.port !== t.port) return false;
  if (g.parts.length !== t.parts.length) return false;
  if (!t.path.startsWith(g.path)) return false;
  return g.parts.every((part, i) => globMatch(part, t.parts[i] ?? ""));
}

/** What kubelet hands its providers: the repository without tag or digest, normalized (docker.io/library/nginx). */
export function repositoryToMatch(image: string): string {
  const ref = tryParseReference(image);
  if (ref instanceof ImageReferenceError) return image;
  return `${ref.domain}/${ref.path}`;
}

export interface ProviderMatch {
  provider: CredentialProvider;
  /** The matchImages entry that matched. */
  matchedBy: string;
}

/** The first provider whose matchImages covers the image, as kubelet consults them. */
export function providerFor(config: CredentialProviderConfig, image: string): ProviderMatch | undefined {
  const target = repositoryToMatch(image);
  for (const provider of config.providers) {
    const matchedBy = provider.matchImages.find((g) => matchesImage(g, target));
    if (matchedBy !== undefined) return { provider, matchedBy };
  }
  return undefined;
}

interface Split {
  parts: string[];
  port: string;
  path: string;
}

function splitSchemeless(s: string): Split | undefined {
  if (s.length > 2048 || /\s/.test(s)) return undefined;
  const slash = s.indexOf("/");
  const hostPort = slash < 0 ? s : s.slice(0, slash);
  const path = slash < 0 ? "" : s.slice(slash);
  if (hostPort === "") return undefined;
  let host = hostPort;
  let port = "";
  const bracket = hostPort.startsWith("[") ? hostPort.indexOf("]") : -1;
  const colon = hostPort.lastIndexOf(":");
  if (bracket >= 0) {
    host = hostPort.slice(1, bracket);
    if (hostPort.charAt(bracket + 1) === ":") port = hostPort.slice(bracket + 2);
  } else if (colon >= 0 && hostPort.indexOf(":") === colon) {
    host = hostPort.slice(0, colon);
    port = hostPort.slice(colon + 1);
  }
  return { parts: host.toLowerCase().split("."), port, path };
}

/**
 * Go's filepath.Match for one host part: `*` any run, `?` one character, `[...]` a class with
 * ranges and `^` negation, `\` escapes. A malformed pattern matches nothing (kubelet ignores the
 * error). Iterative with one backtrack point, so the cost is at most glob length × part length.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern.charAt(p) === "*") {
      starP = p++;
      starT = t;
      continue;
    }
    const step = p < pattern.length ? matchOne(pattern, p, text.charAt(t)) : "no";
    if (step === "bad") return false;
    if (step !== "no") {
      p = step;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charAt(p) === "*") p++;
  return p === pattern.length;
}

/** The pattern index after one character matched at p, "no" when it does not, "bad" for a malformed class. */
function matchOne(pattern: string, p: number, c: string): number | "no" | "bad" {
  const ch = pattern.charAt(p);
  if (ch === "?") return p + 1;
  if (ch === "\\") return p + 1 < pattern.length && pattern.charAt(p + 1).toLowerCase() === c ? p + 2 : p + 1 < pattern.length ? "no" : "bad";
  if (ch !== "[") return ch.toLowerCase() === c ? p + 1 : "no";
  let i = p + 1;
  const negate = pattern.charAt(i) === "^";
  if (negate) i++;
  let matched = false;
  let first = true;
  while (i < pattern.length && (first || pattern.charAt(i) !== "]")) {
    first = false;
    const lo = pattern.charAt(i);
    let hi = lo;
    if (pattern.charAt(i + 1) === "-" && i + 2 < pattern.length && pattern.charAt(i + 2) !== "]") {
      hi = pattern.charAt(i + 2);
      i += 3;
    } else {
      i++;
    }
    if (lo <= c && c <= hi) matched = true;
  }
  if (i >= pattern.length) return "bad";
  return matched !== negate ? i + 1 : "no";
}
