import { DOCKER_HUB_API_HOST, DOCKER_HUB_DOMAIN, DOCKER_HUB_LEGACY_DOMAIN } from "./dockerhub.js";
/**
 * Image reference parsing with the grammar and normalization of distribution/reference
 * (reference.go, regexp.go, normalize.go), which is what kubelet and containerd apply.
 *
 * The parser is hand-written instead of one big regular expression so that a rejected
 * reference says exactly which part is wrong: these messages are shown to people by
 * `pullmedic diagnose` under the cause label `invalid-reference`.
 */

export interface ImageReference {
  /** What the user wrote. */
  input: string;
  /** Registry host as in the reference after normalization: "docker.io", "ghcr.io", "127.0.0.1:5000", "[::1]:5000". */
  domain: string;
  /** Repository path after normalization: "library/nginx", "org/app". */
  path: string;
  /** The tag as written; undefined when none was written (see `tagOrDefault`). */
  tag?: string;
  /** "algorithm:hex", e.g. "sha256:<64 hex>". */
  digest?: string;
  /** Fully normalized: "docker.io/library/nginx:latest", "ghcr.io/o/a@sha256:…", "docker.io/r/x:1@sha256:…". */
  normalized: string;
  /** The host to talk HTTP to: "registry-1.docker.io" for docker.io, else `domain`. */
  apiHost: string;
  /** Docker's short form: "nginx:1.27", "org/app:1" on docker.io; elsewhere equal to `normalized`. */
  familiar: string;
}

/**
 * An image string that cannot be a reference. `reason` is the specific problem alone;
 * `message` adds the input so it reads on its own in logs and CLI output.
 */
export class ImageReferenceError extends Error {
  readonly input: string;
  readonly reason: string;

  constructor(input: string, reason: string) {
    super(`invalid image reference ${quote(input)}: ${reason}`);
    // Named so that a stack trace reads as bad input, not as a JavaScript ReferenceError.
    this.name = "ImageReferenceError";
    this.input = input;
    this.reason = reason;
  }
}

const DEFAULT_DOMAIN = DOCKER_HUB_DOMAIN;
const LEGACY_DEFAULT_DOMAIN = DOCKER_HUB_LEGACY_DOMAIN;
const OFFICIAL_PREFIX = "library/";
const DEFAULT_TAG = "latest";
// RepositoryNameTotalLengthMax; the current reference.go applies it to the path, not host + path.
const MAX_PATH_LENGTH = 255;
// tag grammar is one leading character plus at most 127 more.
const MAX_TAG_LENGTH = 128;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const HOST_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;
// Intersection of the reference grammar (components start with a letter) and OCI's (lower case).
const DIGEST_ALGORITHM = /^[a-z][a-z0-9]*(?:[-_+.][a-z][a-z0-9]*)*$/;
// A reference only carries hex-encoded digests of at least 128 bits.
const MIN_DIGEST_HEX = 32;

/**
 * Algorithms whose encoded length is fixed: sha256/sha512 (OCI registered), sha384 (go-digest,
 * so containerd accepts it) and blake3 (OCI registered since image-spec 1.1).
 */
const KNOWN_DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = {
  sha256: 64,
  sha384: 96,
  sha512: 128,
  blake3: 64,
};

/** Parses like kubelet/containerd (`ParseNormalizedNamed`); throws `ImageReferenceError` naming the problem. */
export function parseReference(input: string): ImageReference {
  if (typeof input !== "string") {
    throw new ImageReferenceError(String(input), `expected a string, got ${input === null ? "null" : typeof input}`);
  }
  const fail: Fail = (reason) => {
    throw new ImageReferenceError(input, reason);
  };

  checkCharacters(input, fail);
  if (IMAGE_ID.test(input)) {
    fail('this is a 64-character hex image ID, not a reference; name the repository and pin the digest instead, e.g. "name@sha256:<digest>"');
  }

  // Neither the name nor a tag may contain "@", so the first one starts the digest.
  const at = input.indexOf("@");
  const nameAndTag = at < 0 ? input : input.slice(0, at);
  let digest: string | undefined;
  if (at >= 0) {
    const rest = input.slice(at + 1);
    if (rest.includes("@")) fail('contains more than one "@"; a reference has at most one digest');
    if (nameAndTag === "") fail('repository name is missing before "@"');
    if (rest === "") fail('nothing follows "@"; remove the "@" or add a digest such as "sha256:<64 hex characters>"');
    const problem = digestProblem(rest);
    if (problem !== undefined) fail(problem);
    digest = rest;
  }

  // A ":" after the last "/" starts the tag; one before it belongs to a registry port.
  const tagColon = nameAndTag.indexOf(":", nameAndTag.lastIndexOf("/") + 1);
  const name = tagColon < 0 ? nameAndTag : nameAndTag.slice(0, tagColon);
  let tag: string | undefined;
  if (tagColon >= 0) {
    tag = nameAndTag.slice(tagColon + 1);
    if (name === "") fail('repository name is missing before ":"');
    const problem = tagProblem(tag, at >= 0);
    if (problem !== undefined) fail(problem);
  }

  const { domain, userPath } = splitDomain(name);
  if (domain !== undefined) {
    const problem = domainProblem(domain);
    if (problem !== undefined) fail(`registry host ${quote(domain)} is not valid: ${problem}`);
  }
  if (domain !== undefined && userPath === "") {
    fail(`nothing follows the registry host ${quote(domain)}; add a repository path, e.g. "${domain}/org/app"`);
  }
  const pathIssue = pathProblem(userPath);
  if (pathIssue !== undefined) fail(pathIssue);

  const finalDomain = domain === undefined || domain === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : domain;
  // Only Docker Hub has the implicit "library/" namespace for official images.
  const path = finalDomain === DEFAULT_DOMAIN && !userPath.includes("/") ? OFFICIAL_PREFIX + userPath : userPath;
  if (path.length > MAX_PATH_LENGTH) {
    fail(`repository path is ${path.length} characters, the limit is ${MAX_PATH_LENGTH} (${quote(path)})`);
  }

  const suffix = (tag !== undefined ? `:${tag}` : "") + (digest !== undefined ? `@${digest}` : "");
  const shownSuffix = suffix === "" ? `:${DEFAULT_TAG}` : suffix;
  const ref: ImageReference = {
    input,
    domain: finalDomain,
    path,
    normalized: `${finalDomain}/${path}${shownSuffix}`,
    apiHost: finalDomain === DEFAULT_DOMAIN ? DOCKER_HUB_API_HOST : finalDomain,
    familiar: `${familiarName(finalDomain, path)}${shownSuffix}`,
  };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Like `parseReference`, for callers that collect problems instead of unwinding. */
/**
 * The registry an image names, without parsing it in full: the first path component when it can
 * only be a host (a ".", a ":", an upper-case letter, or "localhost"), else Docker Hub. For display
 * and grouping of images that may not even be valid references; "" for an empty string.
 */
export function registryOfImage(image: string): string {
  const slash = image.indexOf("/");
  if (slash < 0) return image === "" ? "" : DEFAULT_DOMAIN;
  const first = image.slice(0, slash);
  if (!(first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase())) return DEFAULT_DOMAIN;
  return first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
}

export function tryParseReference(input: string): ImageReference | ImageReferenceError {
  try {
    return parseReference(input);
  } catch (err) {
    if (err instanceof ImageReferenceError) return err;
    throw err;
  }
}

/**
 * Whether two image strings name the same image as the runtime's image store sees it:
 * "nginx" and "docker.io/library/nginx:latest" do, "nginx:1" and "nginx:1@sha256:…" do not.
 * Host case is compared exactly because containerd keys images by the normalized string.
 */
export function sameImageName(a: string, b: string): boolean {
  const ra = tryParseReference(a);
  const rb = tryParseReference(b);
  if (ra instanceof ImageReferenceError || rb instanceof ImageReferenceError) return false;
  return ra.normalized === rb.normalized;
}

/**
 * The tag a person would see: the written one, else "latest". For a digest-pinned reference
 * the digest decides what is pulled; use `manifestReference` for registry requests.
 */
export function tagOrDefault(ref: ImageReference): string {
  return ref.tag ?? DEFAULT_TAG;
}

/**
 * What goes after `/v2/<path>/manifests/`: the digest when there is one (containerd's
 * `ParseDockerRef` drops the tag of a "name:tag@digest" reference), else the tag or "latest".
 */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

type Fail = (reason: string) => never;

function checkCharacters(input: string, fail: Fail): void {
  if (input === "") fail('it is empty; give an image name such as "nginx:1.27" or "ghcr.io/org/app:v1"');
  if (input.trim() !== input) {
    fail(input.trim() === "" ? "it is only whitespace" : "remove the leading or trailing whitespace");
  }
  const space = /\s/.exec(input);
  if (space !== null) {
    fail(`contains ${describeChar(space[0])} at position ${space.index + 1}; an image reference has no whitespace`);
  }
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(input);
  if (scheme !== null) {
    fail(`remove the scheme ${quote(scheme[0])}; a reference starts with the registry host, e.g. "ghcr.io/org/app:v1"`);
  }
  // Everything in the grammar is printable ASCII, so anything else is named here once.
  const odd = /[^\x21-\x7e]/u.exec(input);
  if (odd !== null) fail(`contains ${describeChar(odd[0])} at position ${odd.index + 1}; only ASCII is allowed`);
}

/**
 * Decides the registry host the way normalize.go does. `domain` is undefined when the
 * reference has none and Docker Hub is implied.
 */
function splitDomain(name: string): { domain: string | undefined; userPath: string } {
  const slash = name.indexOf("/");
  if (slash < 0) return { domain: undefined, userPath: name };
  const first = name.slice(0, slash);
  const isDomain =
    first === "localhost" ||
    first === LEGACY_DEFAULT_DOMAIN ||
    first.includes(".") ||
    first.includes(":") ||
    // Repository paths are lowercase, so a first part with capitals can only be a host.
    first !== first.toLowerCase();
  return isDomain ? { domain: first, userPath: name.slice(slash + 1) } : { domain: undefined, userPath: name };
}

function domainProblem(domain: string): string | undefined {
  let host: string;
  let port: string | undefined;
  if (domain.startsWith("[")) {
    const close = domain.indexOf("]");
    if (close < 0) return 'the IPv6 address has no closing "]"';
    host = domain.slice(0, close + 1);
    const after = domain.slice(close + 1);
    if (after !== "") {
      if (!after.startsWith(":")) return `unexpected ${quote(after)} after the IPv6 address; only ":port" may follow`;
      port = after.slice(1);
    }
    if (!IPV6_HOST.test(host)) {
      return `${quote(host)} is not an IPv6 address (hex digits and ":" only; zone IDs and dotted IPv4 forms are not allowed)`;
    }
  } else {
    const colon = domain.indexOf(":");
    host = colon < 0 ? domain : domain.slice(0, colon);
    port = colon < 0 ? undefined : domain.slice(colon + 1);
    if (port?.includes(":")) return 'an IPv6 address must be in brackets, e.g. "[::1]:5000"';
    if (host === "") return "the host name is empty";
    const problem = hostNameProblem(host);
    if (problem !== undefined) return problem;
  }
  if (port !== undefined) {
    if (port === "") return 'nothing follows ":"; remove it or add a port number';
    if (!/^[0-9]+$/.test(port)) return `port ${quote(port)} must be a number`;
  }
  return undefined;
}

function hostNameProblem(host: string): string | undefined {
  const bad = /[^a-zA-Z0-9.-]/.exec(host);
  if (bad !== null) return `${describeChar(bad[0])} is not allowed in a host name`;
  for (const label of host.split(".")) {
    if (label === "") return `${quote(host)} has an empty label (a leading, trailing or doubled ".")`;
    if (!HOST_LABEL.test(label)) return `label ${quote(label)} must not start or end with "-"`;
  }
  return undefined;
}

function pathProblem(userPath: string): string | undefined {
  if (userPath === "") return "repository name is empty";
  // Checked before the component rules because it is the common mistake and has its own wording upstream.
  if (userPath !== userPath.toLowerCase()) return `repository name must be lowercase (${quote(userPath)})`;
  const components = userPath.split("/");
  for (const [i, component] of components.entries()) {
    if (component !== "") {
      const problem = componentProblem(component);
      if (problem !== undefined) return `repository path component ${quote(component)} ${problem}`;
      continue;
    }
    if (i === 0) return `repository path ${quote(userPath)} starts with "/"`;
    if (i === components.length - 1) return `repository path ${quote(userPath)} ends with "/"`;
    return `repository path ${quote(userPath)} contains "//"`;
  }
  return undefined;
}

function componentProblem(component: string): string | undefined {
  if (PATH_COMPONENT.test(component)) return undefined;
  const bad = /[^a-z0-9._-]/.exec(component);
  if (bad !== null) {
    return `contains ${describeChar(bad[0])}; use lowercase letters, digits and the separators ".", "_", "__" or "-"`;
  }
  if (/^[._-]|[._-]$/.test(component)) return "must start and end with a lowercase letter or digit";
  for (const run of component.match(/[._-]+/g) ?? []) {
    if (!/^(?:[._]|__|-+)$/.test(run)) {
      return `has the separator ${quote(run)}; separators are one ".", one or two "_", or any number of "-"`;
    }
  }
  return "does not match the repository name grammar";
}

function tagProblem(tag: string, digestFollows: boolean): string | undefined {
  if (tag === "") {
    return digestFollows ? 'the tag between ":" and "@" is empty' : 'nothing follows the last ":"; remove it or add a tag such as ":1.27"';
  }
  if (TAG.test(tag)) return undefined;
  if (tag.length > MAX_TAG_LENGTH) {
    return `tag is ${tag.length} characters, the limit is ${MAX_TAG_LENGTH} (${quote(tag)})`;
  }
  if (tag.includes(":")) return `tag ${quote(tag)} contains ":"; a reference has at most one tag`;
  const first = tag[0] ?? "";
  if (first === "." || first === "-") return `tag ${quote(tag)} must start with a letter, digit or "_"`;
  const bad = /[^\w.-]/.exec(tag);
  if (bad !== null) {
    return `tag ${quote(tag)} contains ${describeChar(bad[0])}; tags use letters, digits, "_", "." and "-"`;
  }
  return `tag ${quote(tag)} does not match the tag grammar`;
}

function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(":");
  if (colon < 0) {
    return `digest ${quote(digest)} must be "algorithm:hex", e.g. "sha256:" followed by 64 hex characters`;
  }
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  if (algorithm === "") return `digest ${quote(digest)} has no algorithm before ":"; expected e.g. "sha256:<hex>"`;
  if (encoded.includes(":")) {
    return `digest ${quote(digest)} contains a second ":"; the tag goes before the digest ("name:tag@sha256:<hex>")`;
  }
  const known = KNOWN_DIGEST_HEX_LENGTH[algorithm.toLowerCase()];
  if (known !== undefined && algorithm !== algorithm.toLowerCase()) {
    return `digest algorithm ${quote(algorithm)} must be lowercase (${quote(algorithm.toLowerCase())})`;
  }
  if (!DIGEST_ALGORITHM.test(algorithm)) {
    return `digest algorithm ${quote(algorithm)} is not valid; it is lowercase letters and digits starting with a letter, e.g. "sha256"`;
  }
  if (encoded === "") return `digest ${quote(digest)} has nothing after ":"`;
  const nonHex = /[^0-9a-fA-F]/.exec(encoded);
  if (nonHex !== null) return `digest ${quote(digest)} contains ${describeChar(nonHex[0])}; it must be hex`;
  if (known !== undefined) {
    // go-digest validates registered algorithms with lowercase hex only.
    if (/[A-F]/.test(encoded)) return `${algorithm} digest must be lowercase hex (${quote(digest)})`;
    if (encoded.length !== known) {
      return `${algorithm} digest must have ${known} hex characters, found ${encoded.length} (${quote(digest)})`;
    }
    return undefined;
  }
  if (encoded.length < MIN_DIGEST_HEX) {
    return `digest ${quote(digest)} is too short; a digest has at least ${MIN_DIGEST_HEX} hex characters`;
  }
  return undefined;
}

function familiarName(domain: string, path: string): string {
  if (domain !== DEFAULT_DOMAIN) return `${domain}/${path}`;
  // Only single-level official images lose "library/" (docker's own familiarizeName rule).
  if (path.startsWith(OFFICIAL_PREFIX)) {
    const rest = path.slice(OFFICIAL_PREFIX.length);
    if (!rest.includes("/")) return rest;
  }
  return path;
}

function describeChar(ch: string): string {
  const names: Record<string, string> = { " ": "a space", "\t": "a tab", "\n": "a newline", "\r": "a carriage return" };
  const named = names[ch];
  if (named !== undefined) return named;
  const code = ch.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  if (code > 0x20 && code < 0x7f) return `the character ${JSON.stringify(ch)}`;
  // Printable non-ASCII is shown as itself too, so a look-alike letter can be spotted.
  return /\p{L}|\p{N}|\p{P}|\p{S}/u.test(ch) ? `the character ${JSON.stringify(ch)} (${hex})` : `the character ${hex}`;
}

/** JSON quoting makes control characters visible; long inputs are cut so a message stays readable. */
function quote(s: string): string {
  return JSON.stringify(s.length <= 100 ? s : `${s.slice(0, 60)}…${s.slice(-30)}`);
}
