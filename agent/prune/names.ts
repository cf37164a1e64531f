import { DOCKER_HUB_DOMAIN, DOCKER_HUB_LEGACY_DOMAIN, tryParseReference } from "../../core/image/index.js";

/** The parts of a normalized reference that matching needs. */
export interface RefParts {
  /** "domain/path", e.g. "docker.io/library/nginx". */
  repo: string;
  tag: string | undefined;
  digest: string | undefined;
}

/** How a person finds an image again: its first tag, else its first digest, else its ID. */
export function imageName(image: { id: string; repoTags: readonly string[]; repoDigests: readonly string[] }): string {
  return image.repoTags[0] ?? image.repoDigests[0] ?? `<none>@${image.id}`;
}

/**
 * Splits a reference into normalized parts; undefined when it is not a reference.
 *
 * Runtimes report tags and digests already normalized ("docker.io/library/nginx:1.27"), and the
 * full parser costs ~2 µs a call, which adds up at 10,000 images every GC round. So a string that
 * is visibly in normalized form is split directly; anything else goes through the parser.
 */
export function refParts(ref: string): RefParts | undefined {
  return fastParts(ref) ?? parsedParts(ref);
}

/** Exact-match keys: "repo:tag" and "repo@digest", as normalized references spell them. */
export function refKeys(parts: RefParts): string[] {
  const keys: string[] = [];
  if (parts.tag !== undefined) keys.push(`${parts.repo}:${parts.tag}`);
  if (parts.digest !== undefined) keys.push(`${parts.repo}@${parts.digest}`);
  return keys;
}

function fastParts(ref: string): RefParts | undefined {
  const slash = ref.indexOf("/");
  if (slash <= 0) return undefined;
  const host = ref.slice(0, slash);
  if (!(host.includes(".") || host.includes(":") || host === "localhost") || host === DOCKER_HUB_LEGACY_DOMAIN) return undefined;
  const at = ref.indexOf("@");
  const nameAndTag = at < 0 ? ref : ref.slice(0, at);
  const colon = nameAndTag.indexOf(":", nameAndTag.lastIndexOf("/") + 1);
  const repo = colon < 0 ? nameAndTag : nameAndTag.slice(0, colon);
  // Docker Hub official images need "library/" added, and a bare name needs ":latest": parser's job.
  if (host === DOCKER_HUB_DOMAIN && !repo.includes("/", slash + 1)) return undefined;
  if (colon < 0 && at < 0) return undefined;
  return {
    repo,
    tag: colon < 0 ? undefined : nameAndTag.slice(colon + 1),
    digest: at < 0 ? undefined : ref.slice(at + 1),
  };
}

function parsedParts(ref: string): RefParts | undefined {
  const parsed = tryParseReference(ref);
  if (parsed instanceof Error) return undefined;
  return {
    repo: `${parsed.domain}/${parsed.path}`,
    tag: parsed.tag ?? (parsed.digest === undefined ? "latest" : undefined),
    digest: parsed.digest,
  };
}
