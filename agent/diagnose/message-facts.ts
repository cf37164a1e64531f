import type { MessageFacts } from "./classify.js";

// --- facts --------------------------------------------------------------------------------------

/** Where an image name appears, most authoritative first: kubelet quotes what the pod spec says. */
const IMAGE_PATTERNS: readonly RegExp[] = [
  /Failed to pull image "([^"\s]{1,1024})"/i,
  /Back-off pulling image "([^"\s]{1,1024})"/i,
  /Container image "([^"\s]{1,1024})" is not present/i,
  /Failed to apply default image tag "([^"]{1,1024})"/i,
  /Failed to inspect image "([^"\s]{1,1024})"/i,
  /Pulling image "([^"\s]{1,1024})"/i,
  /failed to pull and unpack image "([^"\s]{1,1024})"/i,
  /failed to resolve reference "([^"\s]{1,1024})"/i,
  /failed to parse image reference "([^"]{1,1024})"/i,
  /image pull failed for (\S{1,1024}) because the registry is unavailable/i,
  /pull access denied for ([^\s,]{1,1024}),/i,
  /manifest for (\S{1,1024}) not found/i,
  /short-name "([^"\s]{1,1024})"/i,
  /initializing source docker:\/\/(\S{1,1024}?): /i,
  /\bimage="([^"\s]{1,1024})"/i,
  /image pull failed for (\S{1,1024}) because the signature validation failed/i,
  /credential provider plugin \S{1,253} for image (\S{1,1024}?): /i,
];

// A host as it can appear in an image reference or URL; anything else (quotes, `$`, `;`) is
// refused so that a hostile message cannot put shell syntax into a fix command.
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** Links registries put in error text for people to read; they are not where the pull went. */
const DOC_HOSTS = new Set(["www.docker.com", "docs.docker.com", "aka.ms", "kubernetes.io", "github.com", "cloud.google.com", "docs.aws.amazon.com"]);

const STATUS_TEXT =
  /\b([1-5]\d\d) (?:Unauthorized|Forbidden|Not Found|Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out|Proxy Authentication Required|Bad Request|Method Not Allowed|Request Timeout)\b/i;
const STATUS_FIELD = /\b(?:status(?: ?code)?|received unexpected HTTP status|error parsing HTTP):? ([1-5]\d\d)\b/i;

/** gRPC printed codes as numbers before 2017 ("code = 4"). */
const GRPC_CODE_NAMES: Record<string, string> = {
  "1": "Canceled",
  "2": "Unknown",
  "3": "InvalidArgument",
  "4": "DeadlineExceeded",
  "5": "NotFound",
  "7": "PermissionDenied",
  "12": "Unimplemented",
  "13": "Internal",
  "14": "Unavailable",
  "16": "Unauthenticated",
};

/** Reads the facts of a message already passed through `clean` (see classify.ts). */
export function extractFacts(text: string): MessageFacts {
  const facts: MessageFacts = {};
  if (text === "") return facts;
  const grpc = /rpc error: code = (\w{1,32})/i.exec(text);
  if (grpc?.[1] !== undefined) facts.grpcCode = GRPC_CODE_NAMES[grpc[1]] ?? grpc[1];

  const image = findImage(text);
  if (image !== undefined) facts.image = image;
  const host = findHost(text);
  if (host !== undefined) facts.host = host;

  const status = STATUS_TEXT.exec(text) ?? STATUS_FIELD.exec(text);
  if (status?.[1] !== undefined) facts.status = Number(status[1]);

  const rateLimit = findRateLimit(text);
  if (rateLimit !== undefined) facts.rateLimit = rateLimit;

  const names = /certificate is valid for ([\s\S]{1,2048}?), not (\S{1,255})/i.exec(text);
  if (names?.[1] !== undefined) {
    facts.certificateNames = names[1]
      .split(", ")
      .map((n) => n.trim())
      .filter((n) => n !== "")
      .slice(0, 64);
    const wanted = trimPunctuation(names[2] ?? "");
    if (facts.host === undefined && HOST.test(wanted)) facts.host = wanted;
  }

  const platform = findPlatform(text);
  if (platform !== undefined) facts.platform = platform;

  const secrets = findSecrets(text);
  if (secrets.length > 0) facts.secretNames = secrets;

  const provider = findProvider(text);
  if (provider !== undefined) facts.provider = provider;
  return facts;
}

/** A kubelet credential provider plugin that failed, and its exit status when it exited. */
function findProvider(text: string): MessageFacts["provider"] {
  const m = /error execing credential provider plugin ([A-Za-z0-9._-]{1,253}) for image /i.exec(text);
  if (m?.[1] === undefined) return undefined;
  const exit = /: exit status (\d{1,3})\b/.exec(text.slice(m.index));
  return exit?.[1] === undefined ? { name: m[1] } : { name: m[1], exitStatus: Number(exit[1]) };
}

function findImage(text: string): string | undefined {
  for (const pattern of IMAGE_PATTERNS) {
    const m = pattern.exec(text);
    const image = m?.[1] === undefined ? undefined : trimPunctuation(m[1]);
    if (image !== undefined && image !== "") return image;
  }
  // CRI-O (containers/image) names tag and repository apart: "reading manifest 1.0 in quay.io/org/app".
  const crio = /reading manifest (\S{1,256}) in (\S{1,1024}?): /i.exec(text);
  if (crio?.[1] !== undefined && crio[2] !== undefined) {
    return crio[1].includes(":") ? `${crio[2]}@${crio[1]}` : `${crio[2]}:${crio[1]}`;
  }
  return undefined;
}

function findHost(text: string): string | undefined {
  // Behind a proxy, the lookups and dials in the message are the proxy's; the URL is the registry.
  const viaProxy = /proxyconnect tcp/i.test(text);
  // Otherwise the name that did not resolve is the most precise host a message can name.
  const lookup = viaProxy ? null : /\blookup (\S{1,255}?)(?: on \S{1,64})?: /i.exec(text);
  const looked = lookup?.[1] === undefined ? undefined : trimPunctuation(lookup[1]);
  if (looked !== undefined && HOST.test(looked)) return looked;

  let fallback: string | undefined;
  const urls = /\bhttps?:\/\/([^/\s"'?#\\]{1,300})(\/[^\s"'?#]{0,20})?/gi;
  for (let i = 0; i < 32; i++) {
    const m = urls.exec(text);
    if (m === null) break;
    const host = trimPunctuation(m[1] ?? "");
    if (!HOST.test(host) || DOC_HOSTS.has(host.toLowerCase())) continue;
    // A registry API path says this is where the pull went, not a link in the error text.
    if ((m[2] ?? "").startsWith("/v2") || (m[2] ?? "").startsWith("/token")) return host;
    fallback ??= host;
  }
  if (fallback !== undefined) return fallback;

  const ping = /pinging (?:container|docker) registry (\S{1,300}?)(?::|$| )/i.exec(text);
  const pinged = ping?.[1] === undefined ? undefined : trimPunctuation(ping[1]);
  if (pinged !== undefined && HOST.test(pinged)) return pinged;

  const dial = viaProxy ? null : /\bdial tcp[46]? (\S{1,300}): /i.exec(text);
  const dialed = dial?.[1] === undefined ? undefined : trimPunctuation(dial[1]);
  if (dialed !== undefined && HOST.test(dialed)) return dialed;
  return undefined;
}

function findRateLimit(text: string): MessageFacts["rateLimit"] {
  const limit = /ratelimit-limit:? ?(\d{1,9})(?:;w=(\d{1,9}))?/i.exec(text);
  const remaining = /ratelimit-remaining:? ?(\d{1,9})(?:;w=(\d{1,9}))?/i.exec(text);
  if (limit === null && remaining === null) return undefined;
  const out: NonNullable<MessageFacts["rateLimit"]> = {};
  if (limit?.[1] !== undefined) out.limit = Number(limit[1]);
  if (remaining?.[1] !== undefined) out.remaining = Number(remaining[1]);
  const window = limit?.[2] ?? remaining?.[2];
  if (window !== undefined) out.windowSeconds = Number(window);
  return out;
}

function findPlatform(text: string): string | undefined {
  const listed =
    /no matching manifest for (\S{1,128}) in the manifest list/i.exec(text) ??
    /no match for current platform (\S{1,128}) in manifest/i.exec(text) ??
    /does not match the specified platform: wanted (\S{1,128}?),? actual/i.exec(text);
  if (listed?.[1] !== undefined) return cleanPlatform(listed[1]);
  // containers/image: `for architecture "arm64", variant "v8", OS "linux"` (quotes vary by version).
  const crio = /for architecture "?([\w.-]{1,32})"?, variant "?([\w.-]{0,32})"?, OS "?([\w.-]{1,32})"?/i.exec(text);
  if (crio?.[1] !== undefined && crio[3] !== undefined) {
    return [crio[3], crio[1], crio[2]].filter((p) => p !== undefined && p !== "").join("/");
  }
  return undefined;
}

function cleanPlatform(raw: string): string | undefined {
  const p = trimPunctuation(raw);
  return /^[\w.-]{1,32}(?:\/[\w.-]{1,32}){0,2}$/.test(p) ? p : undefined;
}

function findSecrets(text: string): string[] {
  const some = /image pull secrets \(([^)]{1,1024})\)/i.exec(text);
  const raw = some?.[1] !== undefined ? some[1].split(",") : [];
  const old = /Unable to retrieve pull secret [^\s/]{1,253}\/(\S{1,253}) for /i.exec(text);
  if (old?.[1] !== undefined) raw.push(old[1]);
  const names = raw.map((n) => n.trim().replace(/^<|>$/g, "")).filter((n) => /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(n));
  return [...new Set(names)];
}

const LEADING = new Set([..." \t\n\"'(<{"]);
const TRAILING = new Set([..." \t\n\"'.,;:)>}"]);

/** Strips the quotes and punctuation prose puts around a name; a loop, so cost is linear. */
function trimPunctuation(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && LEADING.has(s.charAt(start))) start++;
  while (end > start && TRAILING.has(s.charAt(end - 1))) end--;
  // A closing bracket belongs to the name only when the name opened one (an IPv6 host).
  let out = s.slice(start, end);
  while (out.endsWith("]") && !out.includes("[")) out = out.slice(0, -1);
  return out;
}
