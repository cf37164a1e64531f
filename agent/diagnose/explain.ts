import { ImageReferenceError, tryParseReference, type ImageReference } from "../../core/image/index.js";
import { CAUSE_SUMMARY, type FailureCause } from "./causes.js";
import { classifyMessage, type Classification, type MessageFacts } from "./classify.js";
import {
  DEFAULT_HOSTS_DIR as HOSTS_DIR,
  DOCKER_HUB_SERVER,
  attachSecretCommand,
  createSecretCommand,
  diagnoseCommand,
  hostsTomlCommand,
  opensslConnect,
  setImageCommand,
  shellQuote,
  splitHostPort,
} from "./fix-commands.js";
import { formatDuration } from "./duration.js";

export { shellQuote };

export interface Explanation {
  cause: FailureCause;
  /** One sentence, with the image, host or quota the message named. */
  summary: string;
  /** Commands a person can paste, most useful first; placeholders only for what the message cannot know. */
  fix: string[];
  /** The rule that decided the cause, undefined when none did. */
  rule: string | undefined;
  facts: MessageFacts;
}

/** Explains a pull failure message the way `pullmedic explain` prints it. Never throws. */
export function explainMessage(message: string): Explanation {
  const c = classifyMessage(message);
  try {
    // Only kubelet's back-off line says it is waiting; it is worth saying so instead of "unknown".
    const backOff = c.cause === "unknown" && typeof message === "string" && /Back-off pulling image/i.test(message.slice(0, 4096));
    const s = scene(c, backOff);
    return { cause: c.cause, summary: summarize(s), fix: FIXES[c.cause](s), rule: c.ruleId, facts: c.facts };
  } catch {
    return { cause: c.cause, summary: c.summary, fix: ["kubectl describe pod <pod> -n <namespace>"], rule: c.ruleId, facts: c.facts };
  }
}

// Placeholders for what only the cluster knows; the node-side facts are always filled in.
const NS = "<namespace>";
const DEPLOYMENT = "<deployment>";
const CONTAINER = "<container>";

/** Everything the summary and the fixes draw on, computed once from the classification. */
interface Scene {
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
}

const DOCKER_HUB_HOSTS = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "auth.docker.io", "registry.docker.io"]);

function scene(c: Classification, backOff: boolean): Scene {
  const facts = c.facts;
  const parsed = facts.image === undefined ? undefined : tryParseReference(facts.image);
  const ref = parsed instanceof ImageReferenceError ? undefined : parsed;
  const refError = parsed instanceof ImageReferenceError ? parsed : undefined;
  const host = facts.host ?? ref?.apiHost;
  const { hostOnly, port } = splitHost(host);
  const dockerHub =
    ref?.domain === "docker.io" || (host !== undefined && DOCKER_HUB_HOSTS.has(host.toLowerCase())) || c.ruleId === "dockerhub-pull-rate-limit";
  const ecr = /^\d{12}\.dkr\.ecr(?:-fips)?\.([a-z0-9-]{1,32})\.amazonaws\.com(?:\.cn)?$/i.exec(ref?.domain ?? hostOnly ?? "");
  return {
    c,
    facts,
    rule: c.ruleId,
    image: facts.image === undefined ? undefined : shellQuote(facts.image),
    ref,
    refError,
    host,
    hostOnly,
    port,
    namespaceDir: ref?.domain ?? (dockerHub ? "docker.io" : host),
    dockerHub,
    ecrRegion: ecr?.[1],
    backOff,
  };
}

function splitHost(host: string | undefined): { hostOnly: string | undefined; port: number } {
  return host === undefined ? { hostOnly: undefined, port: 443 } : splitHostPort(host);
}

// --- summaries ----------------------------------------------------------------------------------

function summarize(s: Scene): string {
  const { facts } = s;
  const img = facts.image;
  const host = s.host;
  switch (s.c.cause) {
    case "invalid-reference":
      if (s.rule === "crio-short-name" && img) return `CRI-O will not guess a registry for the short name ${img}; the image needs a fully qualified name.`;
      if (img) return `${img} is not a valid image reference${s.refError ? `: ${s.refError.reason.replace(/\.$/, "")}` : ""}.`;
      return CAUSE_SUMMARY["invalid-reference"];
    case "not-found":
      return img ? `The registry has no ${img}: the repository, tag or digest does not exist.` : CAUSE_SUMMARY["not-found"];
    case "auth-required":
      if (isHubAmbiguous(s)) {
        return `${s.dockerHub ? "Docker Hub" : "The registry"} refused ${img ?? "the image"}: it is private or it does not exist (the answer is the same for both), and no accepted credentials were sent.`;
      }
      return `${registryName(s)} wants credentials for ${img ?? "this image"} and the pull sent none it accepted.`;
    case "auth-denied":
      if (s.rule === "ecr-token-expired") return `The ECR authorization token in the pull credentials for ${host ?? "the registry"} has expired (these tokens last 12 hours).`;
      return `${registryName(s)} rejected the credentials sent for ${img ?? "this image"}, or they lack pull access to it.`;
    case "secret-invalid":
      if (facts.secretNames?.length) {
        const names = facts.secretNames.join(", ");
        return `kubelet could not read the pull secret${facts.secretNames.length > 1 ? "s" : ""} ${names}: missing, misspelt, or in another namespace; the pull goes ahead without ${facts.secretNames.length > 1 ? "them" : "it"}.`;
      }
      if (s.rule === "kubelet-image-not-ensured") return "The image is on the node, pulled with credentials this pod's pull secrets do not include.";
      return "The pull secret's credentials cannot be decoded: its auth entry is not base64 of user:password.";
    case "rate-limited":
      return rateLimitSummary(s);
    case "dns":
      return `The node cannot resolve ${s.hostOnly ?? "the registry's host name"}.`;
    case "network-timeout":
      if (s.rule === "go-proxyconnect" || s.rule === "http-407-proxy-auth") return `The HTTP(S) proxy between the node and ${host ?? "the registry"} failed; the runtime never reached the registry.`;
      if (s.rule === "go-net-unreachable") return `The node has no route to ${host ?? "the registry"} (routing, firewall or egress policy).`;
      return `The node resolved ${host ?? "the registry"} but the connection or the answer timed out.`;
    case "connection-refused":
      return `${host ?? "The registry"} refused or reset the TCP connection${s.port !== 443 ? ` on port ${s.port}` : ""}.`;
    case "tls":
      return tlsSummary(s);
    case "registry-unavailable": {
      const broke = s.rule === "go-eof" || s.rule === "go-unexpected-eof" || s.rule === "go-http2-goaway";
      const what = facts.status !== undefined ? `answered HTTP ${facts.status}` : broke ? "broke off the transfer" : "answered with a server error";
      return `${registryName(s)} ${what}; the registry side is failing, not this node.`;
    }
    case "platform-mismatch":
      return `${img ?? "The image"} has no variant for ${facts.platform ?? "this node's OS and architecture"}.`;
    case "pull-timeout":
      return `Pulling ${img ?? "the image"} started but did not finish in time.`;
    case "disk-full":
      return `The node's image filesystem is full${img ? `; ${img} cannot be stored` : ""}.`;
    case "never-pull":
      return `${img ?? "The image"} is not on the node and the pod's imagePullPolicy is Never.`;
    case "unknown":
      if (s.backOff) {
        return `kubelet is waiting before it tries ${img ?? "the image"} again; the reason is in the earlier "Failed to pull image" event.`;
      }
      return `The message does not say why ${img ?? "the pull"} failed${facts.grpcCode ? ` (the runtime answered gRPC ${facts.grpcCode})` : ""}.`;
  }
}

function registryName(s: Scene): string {
  if (s.dockerHub) return "Docker Hub";
  return s.hostOnly !== undefined ? (s.host ?? s.hostOnly) : "The registry";
}

function isHubAmbiguous(s: Scene): boolean {
  return s.rule === "containerd-pull-access-denied" || s.rule === "docker-pull-access-denied" || s.rule === "registry-requested-access-denied" || s.rule === "containerd-insufficient-scope";
}

function rateLimitSummary(s: Scene): string {
  const rl = s.facts.rateLimit;
  const who = s.dockerHub ? "Docker Hub" : (s.host ?? "The registry");
  if (rl?.limit !== undefined) {
    const left = rl.remaining !== undefined ? `${rl.remaining} of ${rl.limit} left` : `limit ${rl.limit}`;
    const window = rl.windowSeconds !== undefined ? ` in a ${formatDuration(rl.windowSeconds)} window` : "";
    return `${who} refused the pull: rate limit reached (${left}${window}).`;
  }
  if (s.dockerHub) {
    return `Docker Hub refused the pull: pull rate limit reached (anonymous pulls: 100 per 6 h per IP address; a free account gets 200).`;
  }
  return `${who} refused the pull: rate limit reached${s.facts.status === 429 ? " (HTTP 429)" : ""}.`;
}


function tlsSummary(s: Scene): string {
  const host = s.host ?? "the registry";
  switch (tlsKind(s.rule)) {
    case "unknown-authority":
      return `The certificate of ${host} is signed by a CA this node does not trust.`;
    case "expired":
      return `The certificate of ${host} has expired or is not yet valid (check the node's clock too).`;
    case "wrong-host": {
      const names = s.facts.certificateNames;
      return names?.length ? `The certificate of ${host} is for ${names.slice(0, 5).join(", ")}, not for ${s.hostOnly ?? host}.` : `The certificate of ${host} does not name the host the node connected to.`;
    }
    case "plain-http":
      return `${host} speaks plain HTTP but the runtime expected HTTPS.`;
    default:
      return `The TLS connection to ${host} failed.`;
  }
}

type TlsKind = "unknown-authority" | "expired" | "wrong-host" | "plain-http" | "other";

function tlsKind(rule: string | undefined): TlsKind {
  switch (rule) {
    case "go-x509-unknown-authority":
      return "unknown-authority";
    case "go-x509-expired":
      return "expired";
    case "go-x509-wrong-host":
    case "go-x509-no-ip-san":
    case "go-x509-legacy-common-name":
      return "wrong-host";
    case "go-http-response-to-https":
    case "go-tls-first-record":
      return "plain-http";
    default:
      return "other";
  }
}

// --- fixes --------------------------------------------------------------------------------------

function confirm(s: Scene, image = s.facts.image): string {
  return diagnoseCommand(image);
}

function setImage(image: string): string {
  return setImageCommand(image);
}

/** The key kubelet matches credentials under: Docker Hub's legacy URL, else the registry host. */
function secretServer(s: Scene): string {
  if (s.dockerHub) return DOCKER_HUB_SERVER;
  return s.ref?.domain ?? s.host ?? "<registry>";
}

function createSecret(s: Scene, name: string, apply = false): string {
  return createSecretCommand({ name, server: secretServer(s), apply, ...(s.ecrRegion !== undefined ? { ecrRegion: s.ecrRegion } : {}) });
}

function attachSecret(name: string): string {
  return attachSecretCommand(name);
}

function hostsToml(dir: string, body: string): string {
  return hostsTomlCommand(HOSTS_DIR, dir, body);
}

/** `curl` against the registry's API root; -g because curl globs brackets (IPv6 literals). */
function curl(s: Scene, flags: string): string {
  const url = s.host === undefined ? "https://<registry>/v2/" : shellQuote(`https://${s.host}/v2/`);
  return `curl ${s.host?.startsWith("[") ? "-g " : ""}${flags} ${url}`;
}

/** For TOML strings, where the host goes as it is (it passed the host syntax check). */
function rawHost(s: Scene): string {
  return s.host ?? "<registry>";
}

function hostName(s: Scene): string {
  return s.hostOnly ?? "<registry>";
}

/** The repository part of the image, to put a corrected tag on. */
function repository(s: Scene): string {
  if (s.ref !== undefined) {
    const name = s.ref.input.split("@")[0] ?? s.ref.input;
    const slash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    return colon > slash ? name.slice(0, colon) : name;
  }
  return "<registry>/<repository>";
}

/** A reference that parses, made from an invalid one by lower-casing its repository path. */
function lowercasedCandidate(image: string): string | undefined {
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

const FIXES: Record<FailureCause, (s: Scene) => string[]> = {
  "invalid-reference": (s) => {
    const raw = s.facts.image;
    if (s.rule === "crio-short-name" && s.ref !== undefined) {
      return [setImage(s.ref.normalized), confirm(s, s.ref.normalized)];
    }
    const candidate = raw === undefined ? undefined : lowercasedCandidate(raw);
    if (candidate !== undefined) return [setImage(candidate), confirm(s, candidate)];
    return [setImage("<registry>/<repository>:<tag>"), confirm(s, raw)];
  },
  "not-found": (s) => [
    `${confirm(s)}  # checks the repository and lists the closest existing tags`,
    setImage(`${repository(s)}:<existing-tag>`),
    ...(s.image ? [`docker push ${s.image}  # if this tag was built but never pushed`] : []),
  ],
  "auth-required": (s) => [
    ...(isHubAmbiguous(s) ? [`${confirm(s)}  # tells a repository that does not exist (fix the name) from a private one (add credentials)`] : []),
    createSecret(s, "regcred"),
    attachSecret("regcred"),
    ...(isHubAmbiguous(s) ? [] : [confirm(s)]),
  ],
  "auth-denied": (s) => {
    if (s.rule === "ecr-token-expired") {
      return [
        `${createSecret(s, "regcred", true)}  # a fresh token; it expires again in 12 h`,
        "# lasting fix: the kubelet ECR credential provider (ecr-credential-provider) renews tokens on the node",
        confirm(s),
      ];
    }
    return [
      `kubectl get secret <secret> -n ${NS} -o yaml > pull-secret.yaml && pullmedic diagnose ${s.image ?? "<image>"} --secret pull-secret.yaml  # tries the secret's credentials from this node`,
      `${createSecret(s, "<secret>", true)}  # credentials with pull access`,
      confirm(s),
    ];
  },
  "secret-invalid": (s) => {
    const names = s.facts.secretNames?.length ? s.facts.secretNames : ["<secret>"];
    const first = names[0] ?? "<secret>";
    return [
      ...names.map((n) => `kubectl get secret ${n} -n ${NS} -o jsonpath='{.type}'  # must exist in the pod's namespace, type kubernetes.io/dockerconfigjson`),
      `${createSecret(s, first, true)}  # kubectl writes a correctly encoded auth entry`,
      confirm(s),
    ];
  },
  "rate-limited": (s) => {
    if (s.dockerHub) {
      return [
        `${createSecret(s, "dockerhub")}  # authenticated pulls count against the account, not the node's IP`,
        attachSecret("dockerhub"),
        hostsToml("docker.io", `server = "https://registry-1.docker.io"\n[host."https://<mirror>"]\n  capabilities = ["pull", "resolve"]`),
        confirm(s),
      ];
    }
    return [
      `${createSecret(s, "regcred")}  # many registries allow more to authenticated clients`,
      confirm(s),
    ];
  },
  dns: (s) => [`getent hosts ${hostName(s)}`, `nslookup ${hostName(s)}`, "cat /etc/resolv.conf", confirm(s)],
  "network-timeout": (s) => [
    ...(s.rule === "go-proxyconnect" || s.rule === "http-407-proxy-auth"
      ? ["systemctl show --property=Environment containerd  # the HTTPS_PROXY / NO_PROXY containerd uses"]
      : []),
    curl(s, "-sv --max-time 10"),
    confirm(s),
  ],
  "connection-refused": (s) => [
    `nc -vz -w 5 ${hostName(s)} ${s.port}`,
    `${curl(s, "-sv --max-time 10")}  # is the registry running and listening on that port?`,
    confirm(s),
  ],
  tls: (s) => {
    const connect = opensslConnect(s.hostOnly, s.port);
    const dir = s.namespaceDir ?? "<registry>";
    switch (tlsKind(s.rule)) {
      case "unknown-authority":
        return [
          `openssl s_client ${connect} -showcerts </dev/null  # the last certificate shown is the CA to trust`,
          hostsToml(dir, `server = "https://${rawHost(s)}"\n[host."https://${rawHost(s)}"]\n  ca = "${HOSTS_DIR}/${dir}/ca.crt"`),
          confirm(s),
        ];
      case "expired":
        return [`echo | openssl s_client ${connect} 2>/dev/null | openssl x509 -noout -dates  # renew the registry's certificate`, "date -u  # a wrong node clock makes valid certificates look expired", confirm(s)];
      case "wrong-host":
        return [`echo | openssl s_client ${connect} 2>/dev/null | openssl x509 -noout -ext subjectAltName  # pull by a name the certificate lists, or reissue it for ${hostName(s)}`, confirm(s)];
      case "plain-http":
        return [
          hostsToml(dir, `server = "http://${rawHost(s)}"\n[host."http://${rawHost(s)}"]\n  capabilities = ["pull", "resolve"]`) + "\n# or serve the registry over HTTPS",
          confirm(s),
        ];
      default:
        return [`echo | openssl s_client ${connect}`, confirm(s)];
    }
  },
  "registry-unavailable": (s) => [
    `${curl(s, "-s -o /dev/null -w '%{http_code}\\n'")}  # 5xx: the registry is failing; kubelet retries on its own`,
    confirm(s),
  ],
  "platform-mismatch": (s) => [
    `${confirm(s)}  # lists the platforms the image offers`,
    "kubectl get nodes -L kubernetes.io/arch",
    `docker buildx build --platform ${s.facts.platform ?? "<os>/<arch>"} -t ${s.image ?? "<image>"} --push .  # publish the image for this platform`,
  ],
  "pull-timeout": (s) => [
    `crictl pull ${s.image ?? "<image>"}  # pull ahead of time, outside the pod's start`,
    "grep -n image_pull_progress_timeout /etc/containerd/config.toml  # containerd cancels a pull with no progress for this long (default 5m)",
    confirm(s),
  ],
  "disk-full": (s) => [
    "pullmedic disk",
    "crictl rmi --prune  # caveat: removes every image no container uses, and some versions remove the pause image too",
    confirm(s),
  ],
  "never-pull": (s) => [
    `kubectl patch deployment ${DEPLOYMENT} -n ${NS} -p '{"spec":{"template":{"spec":{"containers":[{"name":"${CONTAINER}","imagePullPolicy":"IfNotPresent"}]}}}}'`,
    `crictl pull ${s.image ?? "<image>"}  # or keep Never and put the image on every node first`,
    confirm(s),
  ],
  unknown: (s) => [
    `kubectl describe pod <pod> -n ${NS}  # the "Failed to pull image" event carries the runtime's reason`,
    `kubectl get events -n ${NS} --field-selector involvedObject.name=<pod>,reason=Failed`,
    confirm(s),
  ],
};
