import { type ImageReference, ImageReferenceError, tryParseReference } from "../../core/image/index.js";
import type { FailureCause } from "./causes.js";
import type { Classification, MessageFacts } from "./classify.js";
import type { ProviderCoverage } from "./credential-provider/index.js";
import { shellQuote, splitHostPort } from "./fix-commands.js";

/**
 * The names of the pod a failure belongs to, read from a paste or given by the caller. They
 * replace the <placeholders> of fix commands; each must be a valid Kubernetes name.
 */
export interface WorkloadNames {
  namespace?: string;
  pod?: string;
  node?: string;
  container?: string;
  /** The object holding the pod template, e.g. {kind: "deployment", name: "web"}. */
  workload?: { kind: WorkloadKind; name: string };
  serviceAccount?: string;
  /** Pull secrets the pod names. */
  secrets?: string[];
}

export type WorkloadKind = "deployment" | "statefulset" | "daemonset";

/** Everything the summary and the fixes draw on, computed once from the classification. */
export interface Scene {
  c: Classification;
  facts: MessageFacts;
  rule: string | undefined;
  /** The image as the message quoted it, shell-quoted when needed. */
  image: string | undefined;
  ref: ImageReference | undefined;
  refError: ImageReferenceError | undefined;
  /** host[:port] the pull talked to: from the message, else the image's registry. */
  host: string | undefined;
  hostOnly: string | undefined;
  port: number;
  /** containerd's certs.d directory name: the registry as the image names it. */
  namespaceDir: string | undefined;
  dockerHub: boolean;
  ecrRegion: string | undefined;
  backOff: boolean;
  /** Names to put in commands; placeholders where unknown. */
  ns: string;
  pod: string;
  container: string;
  /** "deployment/web", or the placeholder. */
  workloadRef: string;
  serviceAccount: string;
  /** The first pull secret the pod names, when it names one. */
  secret: string | undefined;
  provider: ProviderCoverage | undefined;
}

const DOCKER_HUB_HOSTS = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "auth.docker.io", "registry.docker.io"]);
/** DNS-1123 subdomain (namespaces, pods, secrets, workloads); container names are labels, a subset. */
const K8S_NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

export function buildScene(c: Classification, backOff: boolean, names: WorkloadNames = {}, provider?: ProviderCoverage): Scene {
  const facts = c.facts;
  const image = facts.image;
  const parsed = image === undefined ? undefined : tryParseReference(image);
  const ref = parsed instanceof ImageReferenceError ? undefined : parsed;
  const refError = parsed instanceof ImageReferenceError ? parsed : undefined;
  const host = facts.host ?? ref?.apiHost;
  const { hostOnly, port } = host === undefined ? { hostOnly: undefined, port: 443 } : splitHostPort(host);
  const dockerHub = ref?.domain === "docker.io" || (host !== undefined && DOCKER_HUB_HOSTS.has(host.toLowerCase())) || c.ruleId === "dockerhub-pull-rate-limit";
  const ecr = /^\d{12}\.dkr\.ecr(?:-fips)?\.([a-z0-9-]{1,32})\.amazonaws\.com(?:\.cn)?$/i.exec(ref?.domain ?? hostOnly ?? "");
  const secret = [...(names.secrets ?? []), ...(facts.secretNames ?? [])].find((n) => K8S_NAME.test(n));
  return {
    c,
    facts,
    rule: c.ruleId,
    image: image === undefined ? undefined : shellQuote(image),
    ref,
    refError,
    host,
    hostOnly,
    port,
    namespaceDir: ref?.domain ?? (dockerHub ? "docker.io" : host),
    dockerHub,
    ecrRegion: ecr?.[1],
    backOff,
    ns: valid(names.namespace) ?? "<namespace>",
    pod: valid(names.pod) ?? "<pod>",
    container: valid(names.container) ?? "<container>",
    workloadRef:
      names.workload !== undefined && valid(names.workload.name) !== undefined ? `${names.workload.kind}/${names.workload.name}` : "deployment/<deployment>",
    serviceAccount: valid(names.serviceAccount) ?? "default",
    secret,
    provider,
  };
}

function valid(name: string | undefined): string | undefined {
  return name !== undefined && K8S_NAME.test(name) ? name : undefined;
}

export function registryName(s: Scene): string {
  if (s.dockerHub) return "Docker Hub";
  return s.hostOnly !== undefined ? (s.host ?? s.hostOnly) : "The registry";
}

/** Docker Hub's "private or missing" answers, which have their own wording in summary and fix. */
export function isHubAmbiguous(s: Scene): boolean {
  return (
    s.rule === "containerd-pull-access-denied" ||
    s.rule === "docker-pull-access-denied" ||
    s.rule === "registry-requested-access-denied" ||
    s.rule === "containerd-insufficient-scope"
  );
}

const ALTERNATIVE_WORDS: Record<FailureCause, string> = {
  "invalid-reference": "a malformed image name",
  "not-found": "a name that does not exist",
  "auth-required": "a request that carried no credentials",
  "auth-denied": "credentials that were refused",
  "secret-invalid": "a broken pull secret",
  "rate-limited": "a rate limit",
  dns: "a name that does not resolve",
  "network-timeout": "a network timeout",
  "connection-refused": "a refused connection",
  tls: "a TLS failure",
  "registry-unavailable": "a failing registry",
  "platform-mismatch": "a missing platform",
  "pull-timeout": "a slow pull",
  "disk-full": "a full disk",
  "never-pull": "the Never pull policy",
  unknown: "something else",
};

/** "a name that does not exist or credentials that were refused" */
export function alternativesInWords(causes: readonly FailureCause[]): string {
  const words = causes.map((c) => ALTERNATIVE_WORDS[c]);
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

/** The repository part of the image, to put a corrected tag on. */
export function repository(s: Scene): string {
  if (s.ref !== undefined) {
    const name = s.ref.input.split("@")[0] ?? s.ref.input;
    const slash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    return colon > slash ? name.slice(0, colon) : name;
  }
  return "<registry>/<repository>";
}

/** A reference that parses, made from an invalid one by lower-casing its repository path. */
export function lowercasedCandidate(image: string): string | undefined {
  const at = image.indexOf("@");
  const name = at < 0 ? image : image.slice(0, at);
  const digest = at < 0 ? "" : image.slice(at);
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const base = colon > slash ? name.slice(0, colon) : name;
  const tag = colon > slash ? name.slice(colon) : "";
  const firstSlash = base.indexOf("/");
  const first = firstSlash < 0 ? "" : base.slice(0, firstSlash);
  // A first component with a dot, a colon or "localhost" is a registry host, whose case is kept.
  const keepHost = first !== "" && (first.includes(".") || first.includes(":") || first === "localhost");
  const lowered = keepHost ? `${first}/${base.slice(firstSlash + 1).toLowerCase()}` : base.toLowerCase();
  const candidate = `${lowered}${tag}${digest}`;
  if (candidate === image) return undefined;
  return tryParseReference(candidate) instanceof ImageReferenceError ? undefined : candidate;
}

export type TlsKind = "unknown-authority" | "expired" | "wrong-host" | "plain-http" | "https-expected" | "other";

export function tlsKind(rule: string | undefined): TlsKind {
  switch (rule) {
    case "go-x509-unknown-authority":
    case "go-x509-system-roots":
    case "go-x509-not-trusted-darwin":
      return "unknown-authority";
    case "go-x509-expired":
      return "expired";
    case "go-x509-wrong-host":
    case "go-x509-no-ip-san":
    case "go-x509-legacy-common-name":
      return "wrong-host";
    case "go-http-response-to-https":
    case "go-tls-first-record":
    case "go-tls-oversized-record":
    case "curl-ssl-wrong-version":
      return "plain-http";
    case "go-http-malformed-tls-answer":
      return "https-expected";
    default:
      return "other";
  }
}
