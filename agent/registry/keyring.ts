/**
 * kubelet's choice of credentials for an image (kubernetes/kubernetes
 * pkg/credentialprovider/keyring.go, docs/facts/kubelet.md): keys normalized without scheme and
 * /v1/ or /v2/, sorted reverse-lexicographically, matched per host label with shell globs, exact
 * port and a string-prefix path; with nothing matched, Docker Hub images fall back to the
 * "index.docker.io" key.
 *
 * Go's url.Parse, net.SplitHostPort and filepath.Match are reproduced closely enough that a key
 * kubelet rejects or mismatches is rejected or mismatched here too; that is the point of a diagnosis.
 */

import { Buffer } from "node:buffer";
import { DOCKER_HUB_DOMAIN, DOCKER_HUB_LEGACY_DOMAIN, type ImageReference } from "../../core/image/index.js";
import { type HostPort, splitHostPort } from "../../core/net/index.js";
import type { DockerConfig, RegistryAuthEntry } from "./dockerconfig.js";

/** keyring.go's defaultRegistryHost: where `https://index.docker.io/v1/` ends up after normalization. */
const DOCKER_HUB_AUTH_KEY = DOCKER_HUB_LEGACY_DOMAIN;

const HTTP_SCHEME = /^https?:\/\//;

/**
 * kubelet's `Add` normalization: "https://index.docker.io/v1/" → "index.docker.io",
 * "http://reg.io:5000/v2/team" → "reg.io:5000/team". `problem` is set when kubelet's url.Parse
 * would fail, in which case kubelet skips the entry.
 */
export function normalizeRegistryAuthKey(rawKey: string): { key: string; problem?: string } {
  const withScheme = HTTP_SCHEME.test(rawKey) ? rawKey : `https://${rawKey}`;
  const parsed = parseGoUrl(withScheme);
  if (typeof parsed === "string") {
    return { key: withScheme.replace(HTTP_SCHEME, ""), problem: parsed };
  }
  // Docker treats /v1/ and /v2/ as the registry root, so kubelet keeps what follows them.
  let path = parsed.path;
  if (path.startsWith("/v2/") || path.startsWith("/v1/")) path = path.slice(3);
  return { key: path !== "" && path !== "/" ? parsed.host + path : parsed.host };
}

/**
 * The entries kubelet would try for `image`, in its order: every key that matches, most specific
 * (reverse-sorted) first, entries under the same key in the order given; if none matches and the
 * image is a Docker Hub image, the entries under "index.docker.io". Entries whose key kubelet
 * cannot parse are left out. Several configs are one keyring, as kubelet does for a pod's pull
 * Secrets; node-level credentials (kubelet's own config.json) are tried after those, so append
 * their matches after this result.
 */
export function matchCredentials(config: DockerConfig | DockerConfig[], image: ImageReference): RegistryAuthEntry[] {
  const configs = Array.isArray(config) ? config : [config];
  const byKey = new Map<string, RegistryAuthEntry[]>();
  for (const c of configs) {
    for (const entry of c.entries) {
      if (entry.keyProblem !== undefined) continue;
      const list = byKey.get(entry.key);
      if (list === undefined) byKey.set(entry.key, [entry]);
      else list.push(entry);
    }
  }
  const target = imageRepository(image);
  const keys = [...byKey.keys()].sort(compareBytes).reverse();
  const matched = keys.filter((k) => keyMismatch(k, target) === undefined).flatMap((k) => byKey.get(k) ?? []);
  if (matched.length > 0) return matched;
  if (isDockerHubFallbackImage(target)) return [...(byKey.get(DOCKER_HUB_AUTH_KEY) ?? [])];
  return [];
}

/**
 * Why kubelet does not use `key` (a normalized auths key) for `image`, in words; undefined when it
 * does, directly or through the Docker Hub fallback. For "no entry matches" diagnoses.
 */
export function credentialKeyMismatch(key: string, image: ImageReference): string | undefined {
  const target = imageRepository(image);
  const why = keyMismatch(key, target);
  if (why === undefined) return undefined;
  if (key === DOCKER_HUB_AUTH_KEY && isDockerHubFallbackImage(target)) return undefined;
  return why;
}

/** What kubelet matches keys against: the normalized repository without tag or digest. */
function imageRepository(image: ImageReference): string {
  return `${image.domain}/${image.path}`;
}

/**
 * keyring.go's isDefaultRegistryMatch on the repository string. Note that it looks only at dots
 * and colons, so "localhost/app" counts as a Docker Hub image here, exactly as in kubelet.
 */
function isDockerHubFallbackImage(repository: string): boolean {
  const slash = repository.indexOf("/");
  const first = slash < 0 ? repository : repository.slice(0, slash);
  if (first === "") return false;
  if (slash < 0) return true;
  if (first === DOCKER_HUB_DOMAIN || first === DOCKER_HUB_AUTH_KEY) return true;
  return !first.includes(".") && !first.includes(":");
}

function keyMismatch(key: string, target: string): string | undefined {
  const glob = parseGoUrl(`https://${key}`);
  if (typeof glob === "string") return `kubelet cannot parse the key: ${glob}`;
  const image = parseGoUrl(`https://${target}`);
  if (typeof image === "string") return `the image name cannot be parsed as kubelet does: ${image}`;
  const g = splitOrWhole(glob.host);
  const t = splitOrWhole(image.host);
  if (g.port !== t.port) {
    return `the port differs: the key has ${g.port === "" ? "no port" : `port ${g.port}`}, the image ${t.port === "" ? "none" : `port ${t.port}`} (ports must match exactly)`;
  }
  const gLabels = g.host.split(".");
  const tLabels = t.host.split(".");
  if (gLabels.length !== tLabels.length) {
    return (
      `the key's host ${JSON.stringify(g.host)} has ${gLabels.length} dot-separated part${gLabels.length === 1 ? "" : "s"}, ` +
      `the image's host ${JSON.stringify(t.host)} has ${tLabels.length}; a "*" never spans a dot`
    );
  }
  if (!image.path.startsWith(glob.path)) {
    return `the image path ${JSON.stringify(image.path)} does not start with the key's path ${JSON.stringify(glob.path)}`;
  }
  for (const [i, pattern] of gLabels.entries()) {
    const label = tLabels[i] ?? "";
    const glob = parseGlob(pattern);
    if (glob === undefined) return `the key's host part ${JSON.stringify(pattern)} is not a valid pattern, so kubelet never matches it`;
    if (!globMatches(glob, label)) return `the key's host part ${JSON.stringify(pattern)} does not match ${JSON.stringify(label)}`;
  }
  return undefined;
}

interface GoUrl {
  host: string;
  path: string;
}

/**
 * The parts of Go's url.Parse that kubelet's keyring depends on: the authority ends at the first
 * "/", "?" or "#"; userinfo is dropped; the port must be digits; hosts reject characters Go's
 * host grammar rejects; the path is percent-decoded. Returns the parts or why Go would fail.
 */
function parseGoUrl(raw: string): GoUrl | string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go's url.Parse rejects ASCII control characters, and so must we
  if (/[\x00-\x1f\x7f]/.test(raw)) return "it contains a control character";
  let rest = raw;
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(rest);
  if (scheme !== null) rest = rest.slice(scheme[0].length);
  const query = rest.indexOf("?");
  if (query >= 0) rest = rest.slice(0, query);
  if (!rest.startsWith("//")) {
    const path = percentDecode(rest);
    return typeof path === "string" ? { host: "", path } : path.problem;
  }
  rest = rest.slice(2);
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const rawPath = slash < 0 ? "" : rest.slice(slash);
  const at = authority.lastIndexOf("@");
  const host = at < 0 ? authority : authority.slice(at + 1);

  let colonPort: string;
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close < 0) return `missing "]" in host ${JSON.stringify(host)}`;
    colonPort = host.slice(close + 1);
  } else {
    const colon = host.lastIndexOf(":");
    colonPort = colon < 0 ? "" : host.slice(colon);
  }
  if (colonPort !== "" && !/^:[0-9]*$/.test(colonPort)) return `invalid port ${JSON.stringify(colonPort)} after the host`;
  const bad = /[^A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%\u0080-\uffff]/.exec(host);
  if (bad !== null) return `invalid character ${JSON.stringify(bad[0])} in the host name`;
  const decodedHost = percentDecode(host);
  if (typeof decodedHost !== "string") return decodedHost.problem;
  const path = percentDecode(rawPath);
  if (typeof path !== "string") return path.problem;
  return { host: decodedHost, path };
}

function percentDecode(s: string): string | { problem: string } {
  if (!s.includes("%")) return s;
  const bad = /%(?![0-9a-fA-F]{2})/.exec(s);
  if (bad !== null) return { problem: `invalid escape ${JSON.stringify(s.slice(bad.index, bad.index + 3))}` };
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "%") {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(s[i] ?? "", "utf8")) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Go's net.SplitHostPort, falling back to the whole string with no port on error, as keyring.go does. */
function splitOrWhole(hostport: string): HostPort {
  return splitHostPort(hostport) ?? { host: hostport, port: "" };
}

/** One step of a host-label glob: "*" (any run without "/"), or one character passing `one`. */
type GlobToken = { star: true } | { star: false; one: RegExp };

/**
 * Go's filepath.Match for one host label (no "/" can occur in it): "*", "?", "[…]" with ranges and
 * "^" negation, "\\" escapes. A malformed pattern is undefined: Go returns ErrBadPattern and
 * kubelet treats that as no match.
 */
function parseGlob(pattern: string): GlobToken[] | undefined {
  const tokens: GlobToken[] = [];
  const chars = [...pattern];
  let i = 0;
  const literal = (c: string) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`;
  const one = (source: string): GlobToken => ({ star: false, one: new RegExp(`^${source}$`, "u") });
  while (i < chars.length) {
    const c = chars[i] ?? "";
    if (c === "*") {
      // "**" matches what "*" matches; one token keeps the matching table small.
      if (tokens.at(-1)?.star !== true) tokens.push({ star: true });
      i++;
    } else if (c === "?") {
      tokens.push(one("[^/]"));
      i++;
    } else if (c === "\\") {
      const next = chars[i + 1];
      if (next === undefined) return undefined;
      tokens.push(one(literal(next)));
      i += 2;
    } else if (c === "[") {
      i++;
      let negated = false;
      if (chars[i] === "^") {
        negated = true;
        i++;
      }
      const ranges: string[] = [];
      while (true) {
        if (chars[i] === "]" && ranges.length > 0) {
          i++;
          break;
        }
        const lo = classChar(chars, i);
        if (lo === undefined) return undefined;
        i = lo.next;
        let hi = lo;
        if (chars[i] === "-") {
          const h = classChar(chars, i + 1);
          if (h === undefined) return undefined;
          hi = h;
          i = h.next;
          if ((hi.char.codePointAt(0) ?? 0) < (lo.char.codePointAt(0) ?? 0)) return undefined;
        }
        ranges.push(`${literal(lo.char)}-${literal(hi.char)}`);
      }
      tokens.push(one(negated ? `[^/${ranges.join("")}]` : `[${ranges.join("")}]`));
    } else {
      tokens.push(one(literal(c)));
      i++;
    }
  }
  return tokens;
}

/**
 * Whether `label` matches, filling a table of "the tokens so far match the first j characters":
 * time is tokens × characters. One RegExp for the whole glob would backtrack, and a key such as
 * "*a*a*a*a*a*a*a*a*a*a*a*a*b" in a Secret took seconds per image name.
 */
function globMatches(tokens: GlobToken[], label: string): boolean {
  const chars = [...label];
  let reachable = new Array<boolean>(chars.length + 1).fill(false);
  reachable[0] = true;
  for (const token of tokens) {
    const next = new Array<boolean>(chars.length + 1).fill(false);
    if (token.star) {
      let open = false;
      for (let j = 0; j <= chars.length; j++) {
        if (j > 0 && chars[j - 1] === "/") open = false;
        open ||= reachable[j] === true;
        next[j] = open;
      }
    } else {
      for (let j = 0; j < chars.length; j++) next[j + 1] = reachable[j] === true && token.one.test(chars[j] ?? "");
    }
    reachable = next;
  }
  return reachable[chars.length] === true;
}

/** One character inside "[…]": "-" and "]" must be escaped, as Go's getEsc requires. */
function classChar(chars: string[], i: number): { char: string; next: number } | undefined {
  let c = chars[i];
  if (c === undefined || c === "-" || c === "]") return undefined;
  let next = i + 1;
  if (c === "\\") {
    c = chars[i + 1];
    if (c === undefined) return undefined;
    next = i + 2;
  }
  return { char: c, next };
}

/** Go compares strings bytewise (UTF-8); JavaScript compares UTF-16 code units. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
