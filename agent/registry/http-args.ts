/**
 * Checks of what callers pass the client, before anything is sent: a repository or reference
 * that cannot be valid would otherwise reach the registry as a confusing 404 or a malformed URL.
 * These are programming or configuration errors, so they throw RangeError, not RegistryError.
 */

// distribution-spec "Pulling manifests" grammar.
const REPO = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isDigest(reference: string): boolean {
  return DIGEST.test(reference);
}

export function checkRepo(repo: string): void {
  if (!REPO.test(repo)) throw new RangeError(`${JSON.stringify(repo)} is not a repository path (lowercase components separated by "/", e.g. "library/nginx")`);
}

export function checkReference(reference: string): void {
  if (!TAG.test(reference) && !DIGEST.test(reference)) throw new RangeError(`${JSON.stringify(reference)} is neither a tag nor a digest`);
}

export function checkDigest(what: string, digest: string): void {
  if (!DIGEST.test(digest)) throw new RangeError(`${what}: ${JSON.stringify(digest)} is not a digest ("sha256:<hex>")`);
}

/** The endpoint URL without a trailing slash; refuses URLs that would put a secret or a query into every request. */
export function checkEndpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RangeError(`registry endpoint ${JSON.stringify(raw.replace(/\/\/[^/@]*@/, "//"))} is not a URL; expected e.g. "https://registry.example.com"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new RangeError(`registry endpoint must be http:// or https://, got ${url.protocol}`);
  if (url.username !== "" || url.password !== "") {
    throw new RangeError("registry endpoint URL must not contain credentials; pass them as the client's credential");
  }
  if (url.search !== "" || url.hash !== "") throw new RangeError("registry endpoint URL must not have a query or fragment");
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** hosts.toml headers; undici would reject a bad one per request, far from the config that caused it. */
export function checkHeaders(headers: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new RangeError(`registry endpoint header name ${JSON.stringify(name)} is not a valid HTTP header name`);
    if (/[\r\n\0]/.test(value)) throw new RangeError(`registry endpoint header ${name} has a line break or NUL in its value`);
  }
  return { ...headers };
}
