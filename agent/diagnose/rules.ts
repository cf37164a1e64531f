import type { FailureCause } from "./causes.js";

/** What the whole message says about credentials, read by signals.ts; rules may require one. */
export type CredentialSignal = "sent" | "none";

/**
 * One message shape a runtime, kubelet, a registry or Go's libraries print, and the cause it
 * proves. Adding support for a new wording is one entry here and one row in the message table
 * (agent/diagnose/corpus/, checked by test/diagnose/corpus.test.ts).
 */
export interface MessageRule {
  /** Stable, kebab-case; reports and tests refer to it, so never reuse an id for another shape. */
  id: string;
  cause: FailureCause;
  /**
   * Matched case-insensitively against the message with `rpc error: code = X desc = ` wrappers and
   * kubelet's `Failed to pull image "…": ` prefix stripped, quotes unescaped and whitespace
   * collapsed; also against the original text, so wrapper codes can be rules too.
   */
  pattern: RegExp;
  /**
   * Higher wins when several rules match. Go wraps errors outward ("outer: inner"), so the
   * innermost, most specific fact gets the highest number and wrapper codes the lowest.
   */
  priority: number;
  /** Which runtime/version wording this is, for tests and docs. */
  source: string;
  /**
   * The rule applies only when the rest of the chain says whether credentials were sent (an
   * anonymous token, "no basic auth credentials", a rejected password): the same 401 or 403 means
   * "send credentials" in one case and "these credentials are wrong" in the other.
   */
  credentials?: CredentialSignal;
  /**
   * Other causes the same words are known to mean. A rule with alternatives gives a
   * non-confident answer: explain says so and puts `pullmedic diagnose` first.
   */
  alternatives?: readonly FailureCause[];
}

// Priority bands. The gaps leave room to slot a new wording between two existing ones.
/** Local facts that make every other text moot: a full disk, a bad name, a policy, a broken secret, no platform. */
const DECISIVE = 100;
/** A proxy in the path explains the DNS, refused or timeout text that follows it. */
const PROXY = 95;
const DNS = 90;
/** A runtime saying in so many words that the transfer stalled. */
const NO_PROGRESS = 88;
/** Transport: TLS verification, refusals, dial and read timeouts. */
const TRANSPORT = 85;
/** Wordings that tell whether credentials were sent, which decides auth-required vs auth-denied. */
const CREDENTIALS = 80;
/** Registry error codes with a specific text (the registry said exactly what is wrong). */
const REGISTRY_SPECIFIC = 75;
/** Registry error codes in their generic form (`denied:`, `unauthorized:`, `manifest unknown`). */
const REGISTRY_CODE = 70;
/** A bare HTTP status: right most of the time, but registries use 401/403/404 loosely. */
const HTTP_STATUS = 60;
/** containerd's own summaries of a resolve failure. */
const RUNTIME_SUMMARY = 50;
/** The stream broke without saying why. */
const STREAM = 45;
/** A deadline or cancellation with a request or phase attached. */
const DEADLINE = 40;
/** Wrappers that only carry a code. */
const WRAPPER = 15;
/** A bare deadline or cancellation with nothing around it. */
const BARE = 10;

// Patterns must stay linear on 64 KiB of hostile text: no nested quantifiers, gaps are bounded
// (`{0,N}`), and neighbouring quantifiers never range over the same characters unboundedly.
// No g or y flags: a shared RegExp with lastIndex state would make matching order-dependent.
// Patterns must stay linear on 64 KiB of hostile text: no nested quantifiers, gaps are bounded
// (`{0,N}`), and neighbouring quantifiers never range over the same characters unboundedly.
// No g or y flags: a shared RegExp with lastIndex state would make matching order-dependent.
export const MESSAGE_RULES: readonly MessageRule[] = [
  // --- disk-full -------------------------------------------------------------------------------
  { id: "go-no-space-left", cause: "disk-full", pattern: /no space left on device/i, priority: DECISIVE, source: "go syscall (containerd, CRI-O, docker)" },
  { id: "go-disk-quota-exceeded", cause: "disk-full", pattern: /disk quota exceeded/i, priority: DECISIVE, source: "go syscall" },
  {
    id: "windows-not-enough-space",
    cause: "disk-full",
    pattern: /There is not enough space on the disk/i,
    priority: DECISIVE,
    source: "Windows (containerd, docker on Windows nodes)",
  },

  // --- never-pull ------------------------------------------------------------------------------
  { id: "kubelet-never-pull", cause: "never-pull", pattern: /is not present with pull policy of Never/i, priority: DECISIVE, source: "kubelet" },
  { id: "kubelet-err-image-never-pull", cause: "never-pull", pattern: /\bErrImageNeverPull\b/i, priority: DECISIVE - 2, source: "kubelet" },
  // KEP-2535: the image is on the node, but pulled with credentials this pod does not have, and
  // Never forbids kubelet to pull it again with the pod's own: the policy is what blocks the pod.
  {
    id: "kubelet-never-pull-not-ensured",
    cause: "never-pull",
    pattern: /is present with pull policy of "?Never"? but does not have the proper auth/i,
    priority: DECISIVE + 1,
    source: "kubelet ≥ 1.33 (KubeletEnsureSecretPulledImages)",
  },

  // --- invalid-reference -----------------------------------------------------------------------
  { id: "kubelet-default-tag", cause: "invalid-reference", pattern: /Failed to apply default image tag/i, priority: DECISIVE, source: "kubelet" },
  {
    id: "reference-lowercase",
    cause: "invalid-reference",
    pattern: /repository name (?:\([^)]{0,512}\) )?must be lowercase/i,
    priority: DECISIVE,
    source: "distribution/reference",
  },
  {
    id: "reference-invalid-format",
    cause: "invalid-reference",
    pattern: /invalid reference format/i,
    priority: DECISIVE - 1,
    source: "distribution/reference",
  },
  {
    id: "reference-name-rules",
    cause: "invalid-reference",
    pattern: /repository name must (?:not be more than \d{1,5} characters|have at least one component|be canonical)/i,
    priority: DECISIVE - 1,
    source: "distribution/reference",
  },
  { id: "containerd-parse-reference", cause: "invalid-reference", pattern: /failed to parse image reference/i, priority: DECISIVE - 2, source: "containerd" },
  {
    id: "reference-invalid-digest",
    cause: "invalid-reference",
    pattern: /invalid checksum digest (?:format|length)|unsupported digest algorithm|invalid (?:tag|digest) format/i,
    priority: DECISIVE - 3,
    source: "opencontainers/go-digest, distribution/reference",
  },
  { id: "kubelet-invalid-image-name", cause: "invalid-reference", pattern: /\bInvalidImageName\b/i, priority: DECISIVE - 2, source: "kubelet" },
  // CRI-O refuses names without a registry unless registries.conf lists search registries; the
  // fix is the same as for a malformed name: write the full reference.
  {
    id: "crio-short-name",
    cause: "invalid-reference",
    pattern: /short-name "[^"]{1,1024}" did not resolve to an alias|short-name resolution enforced/i,
    priority: DECISIVE,
    source: "CRI-O (containers/image)",
  },
  {
    id: "crio-short-name-ambiguous",
    cause: "invalid-reference",
    pattern: /short name mode is enforcing, but image name \S{1,1024} returns ambiguous list/i,
    priority: DECISIVE,
    source: "CRI-O internal/storage",
  },

  // --- secret-invalid --------------------------------------------------------------------------
  {
    id: "kubelet-pull-secrets-missing",
    cause: "secret-invalid",
    pattern: /Unable to retrieve some image pull secrets/i,
    priority: DECISIVE,
    source: "kubelet (event FailedToRetrieveImagePullSecret)",
  },
  {
    id: "kubelet-pull-secret-missing-old",
    cause: "secret-invalid",
    pattern: /Unable to retrieve pull secret/i,
    priority: DECISIVE,
    source: "kubelet (older log wording)",
  },
  {
    id: "kubelet-image-not-ensured",
    cause: "secret-invalid",
    pattern: /does not have the proper auth \(image secret\)/i,
    priority: DECISIVE,
    source: "kubelet (KubeletEnsureSecretPulledImages)",
  },
  // The `auth` field of a .dockerconfigjson entry must be base64 of "user:password".
  { id: "containerd-invalid-decoded-auth", cause: "secret-invalid", pattern: /invalid decoded auth/i, priority: DECISIVE, source: "containerd" },
  { id: "go-illegal-base64", cause: "secret-invalid", pattern: /illegal base64 data at input byte/i, priority: DECISIVE, source: "containerd (auth decoding)" },

  // --- platform-mismatch -----------------------------------------------------------------------
  {
    id: "containerd-no-match-platform",
    cause: "platform-mismatch",
    pattern: /no match for (?:current )?platform/i,
    priority: DECISIVE,
    source: "containerd ≥ 1.2",
  },
  {
    id: "docker-no-matching-manifest",
    cause: "platform-mismatch",
    pattern: /no matching manifest for \S{1,128} in the manifest list entries/i,
    priority: DECISIVE,
    source: "docker",
  },
  {
    id: "docker-no-supported-platform",
    cause: "platform-mismatch",
    pattern: /no supported platform found in manifest list/i,
    priority: DECISIVE,
    source: "docker (old)",
  },
  { id: "docker-platform-does-not-match", cause: "platform-mismatch", pattern: /does not match the specified platform/i, priority: DECISIVE, source: "docker" },
  {
    id: "docker-os-mismatch",
    cause: "platform-mismatch",
    pattern: /image operating system "[^"]{1,64}" cannot be used on this platform/i,
    priority: DECISIVE,
    source: "docker",
  },
  {
    id: "docker-os-requested",
    cause: "platform-mismatch",
    pattern: /cannot download image with operating system "[^"]{1,64}" when requesting "[^"]{1,64}"/i,
    priority: DECISIVE,
    source: "docker (pull_v2)",
  },
  {
    id: "crio-no-image-for-architecture",
    cause: "platform-mismatch",
    pattern: /no image found in (?:manifest list|image index) for architecture/i,
    priority: DECISIVE,
    source: "CRI-O (containers/image)",
  },
  // "exec format error" has no rule on purpose: it comes from starting a container whose binary
  // is for another CPU, after a successful pull, and it is not a pull failure (hints.ts names it).

  // --- network-timeout: proxies ----------------------------------------------------------------
  { id: "go-proxyconnect", cause: "network-timeout", pattern: /\bproxyconnect tcp\b/i, priority: PROXY, source: "go net/http" },
  { id: "http-407-proxy-auth", cause: "network-timeout", pattern: /Proxy Authentication Required/i, priority: PROXY, source: "go net/http" },

  // --- dns -------------------------------------------------------------------------------------
  { id: "go-dns-no-such-host", cause: "dns", pattern: /\bno such host\b/i, priority: DNS, source: "go net" },
  { id: "go-dns-server-misbehaving", cause: "dns", pattern: /\blookup \S{1,255}(?: on \S{1,64})?: server misbehaving/i, priority: DNS, source: "go net" },
  // A lookup that timed out is a DNS failure even though it ends in the generic "i/o timeout".
  { id: "go-dns-lookup-timeout", cause: "dns", pattern: /\blookup \S{1,255}(?: on \S{1,64})?: [\s\S]{0,200}?i\/o timeout/i, priority: DNS, source: "go net" },
  // Whatever follows a failed lookup (the resolver refused, unreachable, a truncated or
  // unparsable answer, a lame referral, a cancelled lookup) the name is what did not resolve.
  {
    id: "go-dns-lookup-failed",
    cause: "dns",
    pattern: /\blookup \S{1,255} on \S{1,64}: |\bdial tcp[46]?: lookup \S{1,255}?: /i,
    priority: DNS - 2,
    source: "go net (DNSError)",
  },
  { id: "glibc-dns-temporary-failure", cause: "dns", pattern: /temporary failure in name resolution/i, priority: DNS, source: "go net (cgo resolver)" },
  { id: "node-dns", cause: "dns", pattern: /\b(?:ENOTFOUND|EAI_AGAIN)\b/i, priority: DNS, source: "node" },
  { id: "curl-could-not-resolve", cause: "dns", pattern: /Could not resolve (?:host|proxy): /i, priority: DNS, source: "curl" },

  // --- tls -------------------------------------------------------------------------------------
  {
    id: "go-x509-unknown-authority",
    cause: "tls",
    pattern: /x509: certificate signed by unknown authority/i,
    priority: TRANSPORT + 2,
    source: "go crypto/x509",
  },
  { id: "go-x509-expired", cause: "tls", pattern: /x509: certificate has expired or is not yet valid/i, priority: TRANSPORT + 2, source: "go crypto/x509" },
  {
    id: "go-x509-wrong-host",
    cause: "tls",
    pattern: /x509: certificate is (?:valid for|not valid for any names)/i,
    priority: TRANSPORT + 2,
    source: "go crypto/x509",
  },
  {
    id: "go-x509-no-ip-san",
    cause: "tls",
    pattern: /x509: cannot validate certificate for \S{1,64} because it doesn't contain any IP SANs/i,
    priority: TRANSPORT + 2,
    source: "go crypto/x509",
  },
  {
    id: "go-x509-legacy-common-name",
    cause: "tls",
    pattern: /x509: certificate relies on legacy Common Name field/i,
    priority: TRANSPORT + 2,
    source: "go crypto/x509 ≥ 1.15",
  },
  {
    id: "go-x509-insecure-algorithm",
    cause: "tls",
    pattern: /x509: cannot verify signature: insecure algorithm/i,
    priority: TRANSPORT + 2,
    source: "go crypto/x509 ≥ 1.18 (SHA-1 signatures)",
  },
  { id: "go-x509-system-roots", cause: "tls", pattern: /x509: failed to load system roots/i, priority: TRANSPORT + 2, source: "go crypto/x509" },
  // Chain and usage problems: the certificate is wrong for this use, whoever trusts it.
  {
    id: "go-x509-invalid-chain",
    cause: "tls",
    pattern:
      /x509: (?:certificate is not authorized to sign|a root or intermediate certificate is not authorized|too many intermediates|issuer name does not match|issuer has name constraints|certificate specifies an incompatible key usage|unhandled critical extension|negative serial number|invalid signature|malformed certificate|unknown error)/i,
    priority: TRANSPORT - 1,
    source: "go crypto/x509",
  },
  {
    id: "go-x509-not-trusted-darwin",
    cause: "tls",
    pattern: /x509: \S{1,255} certificate is not trusted/i,
    priority: TRANSPORT + 2,
    source: "go crypto/x509 (macOS verifier)",
  },
  { id: "go-http-response-to-https", cause: "tls", pattern: /server gave HTTP response to HTTPS client/i, priority: TRANSPORT + 2, source: "go net/http" },
  { id: "go-tls-first-record", cause: "tls", pattern: /first record does not look like a TLS handshake/i, priority: TRANSPORT + 2, source: "go crypto/tls" },
  {
    id: "go-tls-oversized-record",
    cause: "tls",
    pattern: /tls: oversized record received/i,
    priority: TRANSPORT + 2,
    source: "go crypto/tls (an HTTP answer read as TLS)",
  },
  // The reverse mistake: an http:// endpoint that answers in TLS (an alert record, 0x15 0x03).
  { id: "go-http-malformed-tls-answer", cause: "tls", pattern: /malformed HTTP response "\\x15\\x03/i, priority: TRANSPORT + 2, source: "go net/http" },
  { id: "go-tls-remote-error", cause: "tls", pattern: /remote error: tls: [a-z]/i, priority: TRANSPORT + 1, source: "go crypto/tls" },
  { id: "go-tls-local-error", cause: "tls", pattern: /local error: tls: [a-z]/i, priority: TRANSPORT, source: "go crypto/tls" },
  { id: "go-tls-verify-failed", cause: "tls", pattern: /tls: failed to verify certificate/i, priority: TRANSPORT, source: "go crypto/tls ≥ 1.20" },
  {
    id: "go-tls-handshake-failed",
    cause: "tls",
    pattern:
      /\btls: (?:server selected unsupported protocol version|no supported versions satisfy MinVersion and MaxVersion|handshake failure|failed to parse certificate|received unexpected handshake message|server chose an unconfigured cipher suite|unsupported certificate|no cipher suite supported)/i,
    priority: TRANSPORT - 1,
    source: "go crypto/tls",
  },
  {
    id: "node-tls",
    cause: "tls",
    pattern:
      /\b(?:CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|ERR_TLS_CERT_ALTNAME_INVALID)\b/i,
    priority: TRANSPORT + 2,
    source: "node",
  },
  // An HTTP server answered curl's TLS hello: the registry (or this port) speaks plain HTTP.
  {
    id: "curl-ssl-wrong-version",
    cause: "tls",
    pattern: /SSL routines:{1,2}(?:ssl3_get_record:)?wrong version number/i,
    priority: TRANSPORT + 2,
    source: "curl (OpenSSL)",
  },
  {
    id: "curl-ssl-certificate",
    cause: "tls",
    pattern: /SSL certificate problem: |SSL: no alternative certificate subject name matches/i,
    priority: TRANSPORT + 2,
    source: "curl",
  },

  // --- network-timeout -------------------------------------------------------------------------
  { id: "go-tls-handshake-timeout", cause: "network-timeout", pattern: /TLS handshake timeout/i, priority: TRANSPORT + 1, source: "go net/http" },
  { id: "go-dial-timeout", cause: "network-timeout", pattern: /\bdial tcp[46]? \S{1,300}: i\/o timeout/i, priority: TRANSPORT + 1, source: "go net" },
  {
    id: "go-connect-timed-out",
    cause: "network-timeout",
    pattern: /(?:connect|read|write): connection timed out/i,
    priority: TRANSPORT + 1,
    source: "go net (Linux ETIMEDOUT)",
  },
  { id: "go-client-timeout", cause: "network-timeout", pattern: /Client\.Timeout exceeded/i, priority: TRANSPORT + 1, source: "go net/http (docker)" },
  // The response started and its body stalled: a slow transfer, not an unreachable registry.
  {
    id: "go-client-timeout-reading-body",
    cause: "pull-timeout",
    pattern: /Client\.Timeout exceeded while reading body/i,
    priority: TRANSPORT + 2,
    source: "go net/http",
  },
  {
    id: "go-response-header-timeout",
    cause: "network-timeout",
    pattern: /timeout awaiting response headers/i,
    priority: TRANSPORT + 1,
    source: "go net/http, http2",
  },
  {
    id: "go-http-canceled-waiting",
    cause: "network-timeout",
    pattern: /request canceled while waiting for connection/i,
    priority: TRANSPORT,
    source: "go net/http",
  },
  { id: "go-http2-connection-lost", cause: "network-timeout", pattern: /http2: client connection lost/i, priority: TRANSPORT, source: "go net/http2" },
  { id: "go-io-timeout", cause: "network-timeout", pattern: /\bi\/o timeout\b/i, priority: TRANSPORT, source: "go net" },
  // Unreachable is not a timeout, but it is the same kind of failure with the same fix: the
  // packets do not get to the registry (routes, firewall, egress policy).
  { id: "go-net-unreachable", cause: "network-timeout", pattern: /\b(?:no route to host|network is unreachable)\b/i, priority: TRANSPORT, source: "go net" },
  // A local policy that refuses the connect (an IPv6 address with no route, a firewall rule).
  {
    id: "go-dial-blocked",
    cause: "network-timeout",
    pattern: /\bdial tcp[46]? \S{1,300}: connect: (?:cannot assign requested address|permission denied|operation not permitted)/i,
    priority: TRANSPORT,
    source: "go net (EADDRNOTAVAIL, EACCES, EPERM)",
  },
  {
    id: "windows-connect-timeout",
    cause: "network-timeout",
    pattern: /connectex: A connection attempt failed because the connected party did not properly respond/i,
    priority: TRANSPORT + 1,
    source: "go net (Windows)",
  },
  {
    id: "node-timeout",
    cause: "network-timeout",
    pattern: /\b(?:ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT)\b/i,
    priority: TRANSPORT,
    source: "node",
  },
  { id: "curl-timeout", cause: "network-timeout", pattern: /curl: \(28\)|Connection timed out after \d{1,9} milli/i, priority: TRANSPORT, source: "curl" },
  // An HTTP request that hit its deadline before answering: the runtime could not even talk to
  // the registry. A deadline during a blob download is a slow pull instead (see pull-timeout).
  {
    id: "go-http-request-deadline",
    cause: "network-timeout",
    pattern: /\b(?:Head|Get|Post) "?https?:\/\/[^\s"]{1,2048}"?: context deadline exceeded/i,
    priority: DEADLINE,
    source: "go net/http (containerd)",
  },

  // --- connection-refused ----------------------------------------------------------------------
  // Qualified by "dial tcp"/"read tcp": the same words on a unix socket are kubelet failing to
  // reach the runtime, not the runtime failing to reach the registry.
  {
    id: "go-connection-refused",
    cause: "connection-refused",
    pattern: /\bdial tcp[46]? \S{1,300}: (?:connect|getsockopt): connection refused/i,
    priority: TRANSPORT,
    source: "go net",
  },
  {
    id: "go-connection-reset",
    cause: "connection-refused",
    pattern: /\b(?:read|write|dial) tcp[46]? \S{1,300}: (?:read|write|connect): connection reset by peer/i,
    priority: TRANSPORT,
    source: "go net",
  },
  {
    id: "go-broken-pipe",
    cause: "connection-refused",
    pattern: /\bwrite tcp[46]? \S{1,300}: write: broken pipe/i,
    priority: TRANSPORT,
    source: "go net (EPIPE)",
  },
  {
    id: "windows-connection-refused",
    cause: "connection-refused",
    pattern:
      /connectex: No connection could be made because the target machine actively refused it|wsarecv: An existing connection was forcibly closed by the remote host/i,
    priority: TRANSPORT,
    source: "go net (Windows)",
  },
  {
    id: "curl-connection-refused",
    cause: "connection-refused",
    pattern: /Failed to connect to \S{1,255} port \d{1,5}[^:]{0,64}: Connection refused/i,
    priority: TRANSPORT,
    source: "curl",
  },
  { id: "node-connection-refused", cause: "connection-refused", pattern: /\b(?:ECONNREFUSED|ECONNRESET)\b/i, priority: TRANSPORT, source: "node" },

  // --- auth: credential-specific wordings ------------------------------------------------------
  { id: "ecr-token-expired", cause: "auth-denied", pattern: /authorization token has expired/i, priority: CREDENTIALS + 5, source: "ECR" },
  { id: "ecr-not-authorized", cause: "auth-denied", pattern: /is not authorized to perform: ecr:/i, priority: CREDENTIALS, source: "ECR" },
  // "(or it may not exist)": Artifact Registry gives the same answer for a missing repository.
  {
    id: "gcp-permission-denied",
    cause: "auth-denied",
    pattern: /Permission "?artifactregistry\.\S{1,200} denied/i,
    priority: CREDENTIALS,
    source: "Artifact Registry",
    alternatives: ["not-found"],
  },
  {
    id: "registry-incorrect-credentials",
    cause: "auth-denied",
    pattern: /incorrect username or password|HTTP Basic: Access denied/i,
    priority: CREDENTIALS,
    source: "Docker Hub, GitLab",
  },
  // containers/image says "invalid username/password" for any 401 from a token endpoint, also when
  // it sent none (registry.redhat.io, private repositories): only the registry's own words decide.
  {
    id: "crio-token-unauthorized",
    cause: "auth-denied",
    pattern: /unable to retrieve auth token: invalid username\/password/i,
    priority: CREDENTIALS - 3,
    source: "CRI-O, podman (containers/image ErrUnauthorizedForCredentials)",
    alternatives: ["auth-required"],
  },
  {
    id: "registry-invalid-credentials",
    cause: "auth-denied",
    pattern:
      /Invalid Username or Password|Could not find robot with (?:specified )?username|Specified credentials are invalid|Invalid client ?id or client secret|Application not registered with AAD|your account must log in with a Personal Access Token|access token has insufficient scopes|could not be authenticated by the GitHub Packages service|The token provided does not match expected scopes/i,
    priority: CREDENTIALS,
    source: "Quay, ACR, Docker Hub, GHCR (their 401 bodies)",
  },
  // GHCR: a token was issued (anonymous callers get a 403 at /token instead) and lacks the package.
  {
    id: "ghcr-permission-denied",
    cause: "auth-denied",
    pattern: /\bpermission_denied: |installation not allowed to Read organization package/i,
    priority: CREDENTIALS,
    source: "GHCR",
  },
  {
    id: "acr-ip-not-allowed",
    cause: "auth-denied",
    pattern: /client with IP '[^']{1,64}' is not allowed access/i,
    priority: CREDENTIALS,
    source: "ACR (firewall rules)",
  },
  // Artifactory says this for a user without read permission and for a tag its remote cannot fetch.
  {
    id: "artifactory-no-permission",
    cause: "auth-denied",
    pattern: /The client does not have permission for manifest/i,
    priority: CREDENTIALS - 1,
    source: "Artifactory",
    alternatives: ["auth-required", "not-found"],
  },
  // containerd fetches an OAuth token by POST only when it holds a secret, so a 401/403 there
  // means the credentials were sent and refused.
  {
    id: "containerd-oauth-token-rejected",
    cause: "auth-denied",
    pattern: /failed to fetch oauth token: [\s\S]{0,600}\b40[13]\b/i,
    priority: CREDENTIALS,
    source: "containerd",
  },
  {
    id: "containerd-no-basic-auth",
    cause: "auth-required",
    pattern: /no basic auth credentials/i,
    priority: CREDENTIALS,
    source: "containerd (ECR, Basic-auth registries)",
  },
  {
    id: "containerd-basic-auth-missing",
    cause: "auth-required",
    pattern: /failed to handle basic auth because missing username or secret/i,
    priority: CREDENTIALS,
    source: "containerd",
  },
  {
    id: "containerd-unsupported-auth-scheme",
    cause: "auth-required",
    pattern: /failed to find supported auth scheme/i,
    priority: CREDENTIALS - 2,
    source: "containerd (no credentials for the scheme the registry asked)",
  },
  { id: "gcp-unauthenticated", cause: "auth-required", pattern: /Unauthenticated request/i, priority: CREDENTIALS, source: "Artifact Registry" },
  {
    id: "gcr-needed-permissions",
    cause: "auth-required",
    pattern: /You don't have the needed permissions to perform this operation, and you may have invalid credentials/i,
    priority: CREDENTIALS - 1,
    source: "Container Registry (gcr.io)",
    alternatives: ["auth-denied"],
  },
  {
    id: "harbor-unauthorized-repository",
    cause: "auth-required",
    pattern: /unauthorized to access repository: \S{1,512}, action: pull/i,
    priority: REGISTRY_SPECIFIC,
    source: "Harbor (v2auth)",
    alternatives: ["auth-denied", "not-found"],
  },
  // kubelet asked its image credential provider plugin and got nothing: the pull went without.
  {
    id: "kubelet-credential-provider-failed",
    cause: "auth-required",
    pattern: /Failed getting credential from external registry credential provider|error execing credential provider plugin/i,
    priority: CREDENTIALS - 2,
    source: "kubelet (pkg/credentialprovider/plugin)",
  },
  {
    id: "ecr-provider-no-identity",
    cause: "auth-required",
    pattern: /no EC2 IMDS role found|failed to refresh cached credentials/i,
    priority: CREDENTIALS - 1,
    source: "ecr-credential-provider (AWS SDK)",
  },

  // --- rate-limited ----------------------------------------------------------------------------
  {
    id: "dockerhub-pull-rate-limit",
    cause: "rate-limited",
    pattern: /You have reached your (?:unauthenticated )?pull rate limit/i,
    priority: CREDENTIALS,
    source: "Docker Hub",
  },
  { id: "kubelet-pull-qps", cause: "rate-limited", pattern: /pull QPS exceeded/i, priority: CREDENTIALS, source: "kubelet (registryPullQPS)" },
  { id: "registry-toomanyrequests", cause: "rate-limited", pattern: /\btoomanyrequests\b/i, priority: REGISTRY_SPECIFIC, source: "registry error code" },
  {
    id: "crio-too-many-requests",
    cause: "rate-limited",
    pattern: /too many requests to registry/i,
    priority: REGISTRY_SPECIFIC,
    source: "CRI-O (containers/image)",
  },
  // TOOMANYREQUESTS's default text as containers/image prints it; "429 Too Many Requests" is the status rule's.
  {
    id: "registry-too-many-requests",
    cause: "rate-limited",
    pattern: /(?<!429 )\btoo many requests\b/i,
    priority: REGISTRY_CODE,
    source: "registry error code (containers/image wording)",
  },
  {
    id: "gcp-quota-exceeded",
    cause: "rate-limited",
    pattern: /Quota exceeded for quota (?:metric|group)/i,
    priority: REGISTRY_SPECIFIC,
    source: "Artifact Registry",
  },
  {
    id: "http-429",
    cause: "rate-limited",
    pattern: /\b429 Too Many Requests\b|\bstatus(?: ?code)?:? 429\b|\bHTTP 429 response\b/i,
    priority: HTTP_STATUS,
    source: "HTTP",
  },

  // --- not-found -------------------------------------------------------------------------------
  { id: "docker-manifest-not-found", cause: "not-found", pattern: /\bmanifest for \S{1,1024} not found\b/i, priority: REGISTRY_SPECIFIC, source: "docker" },
  {
    id: "docker-repository-not-found",
    cause: "not-found",
    pattern: /\brepository \S{1,1024} not found: /i,
    priority: REGISTRY_SPECIFIC,
    source: "docker (NAME_UNKNOWN)",
  },
  {
    id: "docker-image-not-found-old",
    cause: "not-found",
    pattern: /\bError: image \S{1,1024} not found\b/i,
    priority: REGISTRY_SPECIFIC,
    source: "docker (≤ 1.12)",
  },
  {
    id: "docker-tag-not-found-old",
    cause: "not-found",
    pattern: /\bTag \S{1,256} not found in repository \S{1,1024}/i,
    priority: REGISTRY_SPECIFIC,
    source: "docker v1 registry protocol (kubelet ≤ 1.5 dockertools)",
  },
  {
    id: "ecr-repository-not-found",
    cause: "not-found",
    pattern: /The repository with name '[^']{1,512}' does not exist/i,
    priority: REGISTRY_SPECIFIC,
    source: "ECR",
  },
  { id: "ecr-image-not-found", cause: "not-found", pattern: /Requested image not found/i, priority: REGISTRY_SPECIFIC, source: "ECR" },
  { id: "acr-manifest-not-found", cause: "not-found", pattern: /manifest tagged by "[^"]{1,256}" is not found/i, priority: REGISTRY_SPECIFIC, source: "ACR" },
  {
    id: "harbor-artifact-not-found",
    cause: "not-found",
    pattern: /\bartifact \S{1,512}:\S{1,128} not found\b|the asking blob is in GC/i,
    priority: REGISTRY_SPECIFIC,
    source: "Harbor",
  },
  {
    id: "quay-tag-expired",
    cause: "not-found",
    pattern: /was deleted or has expired|\btag expired\b|"TAG_EXPIRED"/i,
    priority: REGISTRY_SPECIFIC,
    source: "Quay",
  },
  {
    id: "registry-manifest-unknown",
    cause: "not-found",
    pattern: /\bmanifest[ _]unknown\b/i,
    priority: REGISTRY_CODE,
    source: "registry error code (containerd, CRI-O, docker)",
  },
  // Artifactory's own error format ({"status":401,"message":…}) which clients print as "unknown: …".
  {
    id: "artifactory-authentication-required",
    cause: "auth-required",
    pattern: /\bAuthentication is required\b/i,
    priority: REGISTRY_SPECIFIC,
    source: "Artifactory",
    alternatives: ["auth-denied"],
  },
  {
    id: "registry-name-invalid",
    cause: "invalid-reference",
    pattern: /\bname[ _]invalid\b|\binvalid repository name\b/i,
    priority: REGISTRY_CODE,
    source: "registry error code (NAME_INVALID)",
  },
  {
    id: "registry-name-unknown",
    cause: "not-found",
    pattern: /\bname[ _]unknown\b|repository name not known to registry/i,
    priority: REGISTRY_CODE,
    source: "registry error code",
  },
  // A layer the manifest names is missing: the image was half pushed or garbage-collected.
  {
    id: "registry-blob-unknown",
    cause: "not-found",
    pattern: /\bblob unknown to registry\b|\bunknown blob\b|\bblob[ _]unknown\b/i,
    priority: REGISTRY_CODE,
    source: "registry error code (BLOB_UNKNOWN), docker",
  },
  // A bare 404 carries no registry code: some registries hide a private repository behind it.
  {
    id: "http-404",
    cause: "not-found",
    pattern: /\b404 Not Found\b|\bstatus(?: ?code)?:? 404\b|\bHTTP 404 response\b/i,
    priority: HTTP_STATUS,
    source: "HTTP",
    alternatives: ["auth-required"],
  },
  // containerd turns a 404 on the manifest into "<ref>: not found" (errdefs.ErrNotFound):
  // 1.x says "failed to resolve reference", the 2.x transfer service "failed to resolve image".
  {
    id: "containerd-resolve-not-found",
    cause: "not-found",
    pattern: /failed to resolve (?:reference "[^"]{1,1024}"|image): [^\s"]{1,1024}:? not found/i,
    priority: RUNTIME_SUMMARY,
    source: 'containerd 1.x/2.x (1.2: "<ref> not found")',
  },
  {
    id: "containerd-content-at-not-found",
    cause: "not-found",
    pattern: /content at \S{1,2048} not found/i,
    priority: RUNTIME_SUMMARY,
    source: "containerd (fetcher 404)",
  },
  {
    id: "containerd-fetch-not-found",
    cause: "not-found",
    pattern: /could not fetch content (?:descriptor )?\S{1,200}(?: \([^)]{0,200}\))? from remote: not found/i,
    priority: RUNTIME_SUMMARY,
    source: "containerd",
  },

  // --- auth: registry codes and statuses -------------------------------------------------------
  // Docker Hub answers "pull access denied … may require authorization" both for a private
  // repository and for one that does not exist, and the message does not say whether
  // credentials were sent. With no credential hint we label it auth-required (the registry
  // wants credentials it did not get); explain says that a misspelt name gives the same answer.
  {
    id: "docker-pull-access-denied",
    cause: "auth-required",
    pattern: /pull access denied for [^\s,]{1,1024}, repository does not exist or may require 'docker login'/i,
    priority: REGISTRY_SPECIFIC + 1,
    source: "docker",
    alternatives: ["not-found", "auth-denied"],
  },
  {
    id: "registry-requested-access-denied",
    cause: "auth-required",
    pattern: /requested access to the resource is denied/i,
    priority: REGISTRY_CODE + 2,
    source: "Docker Hub / distribution (DENIED default text)",
    alternatives: ["not-found", "auth-denied"],
  },
  {
    id: "registry-access-denied-credentials-sent",
    cause: "auth-denied",
    pattern: /requested access to the resource is denied/i,
    priority: REGISTRY_CODE + 3,
    source: "distribution DENIED, credentials sent",
    credentials: "sent",
    alternatives: ["not-found"],
  },
  // `denied:` is the DENIED code: authenticated but not allowed. The look-behind keeps the
  // filesystem's "permission denied:" out.
  {
    id: "registry-denied",
    cause: "auth-denied",
    pattern: /(?<!permission |access )\bdenied: |"code": ?"DENIED"/i,
    priority: REGISTRY_CODE,
    source: "registry error code",
    alternatives: ["auth-required"],
  },
  {
    id: "registry-denied-anonymous",
    cause: "auth-required",
    pattern: /(?<!permission |access )\bdenied: |"code": ?"DENIED"/i,
    priority: REGISTRY_CODE + 1,
    source: "registry error code, no credentials sent",
    credentials: "none",
    alternatives: ["not-found"],
  },
  {
    id: "registry-unauthorized",
    cause: "auth-required",
    pattern: /\bunauthorized: |"code": ?"UNAUTHORIZED"/i,
    priority: REGISTRY_CODE,
    source: "registry error code (ACR, GHCR, Quay, CRI-O)",
    alternatives: ["auth-denied", "not-found"],
  },
  {
    id: "registry-unauthorized-credentials-sent",
    cause: "auth-denied",
    pattern: /\bunauthorized: |"code": ?"UNAUTHORIZED"/i,
    priority: REGISTRY_CODE + 1,
    source: "registry error code, credentials sent",
    credentials: "sent",
  },
  // UNAUTHORIZED's default text, which containers/image prints without the code.
  {
    id: "registry-authentication-required",
    cause: "auth-required",
    pattern: /\bauthentication required\b/i,
    priority: REGISTRY_CODE - 1,
    source: "distribution UNAUTHORIZED (containers/image wording)",
    alternatives: ["auth-denied"],
  },
  {
    id: "http-401",
    cause: "auth-required",
    pattern: /\b401 Unauthorized\b|\bstatus(?: ?code)?:? 401\b|\bHTTP 401 response\b/i,
    priority: HTTP_STATUS,
    source: "HTTP",
    alternatives: ["auth-denied"],
  },
  {
    id: "http-401-credentials-sent",
    cause: "auth-denied",
    pattern: /\b401 Unauthorized\b|\bstatus(?: ?code)?:? 401\b|\bHTTP 401 response\b/i,
    priority: HTTP_STATUS + 1,
    source: "HTTP, credentials sent",
    credentials: "sent",
  },
  {
    id: "http-403",
    cause: "auth-denied",
    pattern: /\b403 Forbidden\b|\bstatus(?: ?code)?:? 403\b|\bHTTP 403 response\b/i,
    priority: HTTP_STATUS,
    source: "HTTP",
    alternatives: ["auth-required"],
  },
  // GHCR (and others) answer an anonymous token request for a private or missing package with 403.
  {
    id: "http-403-anonymous",
    cause: "auth-required",
    pattern: /\b403 Forbidden\b|\bstatus(?: ?code)?:? 403\b|\bHTTP 403 response\b/i,
    priority: HTTP_STATUS + 1,
    source: "HTTP, no credentials sent",
    credentials: "none",
    alternatives: ["not-found"],
  },
  {
    id: "containerd-pull-access-denied",
    cause: "auth-required",
    pattern: /pull access denied, repository does not exist or may require authorization/i,
    priority: RUNTIME_SUMMARY,
    source: "containerd 1.x/2.x",
    alternatives: ["not-found", "auth-denied"],
  },
  {
    id: "containerd-insufficient-scope",
    cause: "auth-required",
    pattern: /server message: insufficient_scope/i,
    priority: RUNTIME_SUMMARY - 1,
    source: "containerd (early 1.x), ctr",
    alternatives: ["not-found", "auth-denied"],
  },

  // --- registry-unavailable --------------------------------------------------------------------
  {
    id: "http-5xx",
    cause: "registry-unavailable",
    pattern:
      /\b(?:500 )?Internal Server Error\b|\b(?:502 )?Bad Gateway\b|\b(?:503 )?Service Unavailable\b|\b(?:504 )?Gateway Time-?out\b|\bstatus(?: ?code)?:? 50[0-4]\b/i,
    priority: HTTP_STATUS,
    source: "HTTP",
  },
  // containerd prints the status line as the server sent it; CDN codes (520-530) have no standard text.
  {
    id: "containerd-status-5xx",
    cause: "registry-unavailable",
    pattern: /request to \S{1,2048}: 5\d\d\b|\bHTTP 5\d\d response\b/i,
    priority: HTTP_STATUS,
    source: "containerd (remotes/errors), docker",
  },
  {
    id: "crio-unexpected-http-status-5xx",
    cause: "registry-unavailable",
    pattern: /received unexpected HTTP status: 5\d\d/i,
    priority: HTTP_STATUS + 1,
    source: "CRI-O (containers/image), docker",
  },
  // gcr.io answers DENIED for projects it no longer serves: the registry is gone, not the credentials.
  {
    id: "gcr-shut-down",
    cause: "registry-unavailable",
    pattern: /Container Registry is deprecated and shutting down/i,
    priority: CREDENTIALS + 1,
    source: "Container Registry (gcr.io, 2025 shutdown)",
  },
  {
    id: "registry-unknown-error",
    cause: "registry-unavailable",
    pattern: /\bunknown: unknown error\b|"code": ?"UNKNOWN", ?"message": ?"unknown error"/i,
    priority: REGISTRY_CODE - 2,
    source: "distribution UNKNOWN code (500)",
  },
  { id: "go-unexpected-eof", cause: "registry-unavailable", pattern: /\bunexpected EOF\b/i, priority: STREAM, source: "go io" },
  { id: "go-eof", cause: "registry-unavailable", pattern: /: EOF(?![a-z0-9_])/i, priority: STREAM - 1, source: "go io" },
  { id: "go-http2-goaway", cause: "registry-unavailable", pattern: /server sent GOAWAY/i, priority: STREAM - 1, source: "go net/http2" },
  {
    id: "go-http2-stream-error",
    cause: "registry-unavailable",
    pattern: /stream error: stream ID \d{1,10}; [A-Z_]{2,32}/i,
    priority: STREAM - 1,
    source: "go net/http2",
  },
  { id: "go-server-closed-idle", cause: "registry-unavailable", pattern: /http: server closed idle connection/i, priority: STREAM - 1, source: "go net/http" },
  // kubelet's own summary when the runtime returned RegistryUnavailable; any detail after it wins.
  {
    id: "kubelet-registry-unavailable",
    cause: "registry-unavailable",
    pattern: /because the registry is unavailable|\bRegistryUnavailable\b/i,
    priority: WRAPPER,
    source: "kubelet",
  },

  // --- pull-timeout ----------------------------------------------------------------------------
  // containerd logs "cancel pulling image … because of no progress in 5m0s" (image_pull_progress_timeout);
  // dockershim said "Cancel pulling image … because of no progress for 1m0s".
  {
    id: "pull-no-progress",
    cause: "pull-timeout",
    pattern: /because of no progress/i,
    priority: NO_PROGRESS,
    source: "containerd (image_pull_progress_timeout), dockershim",
  },
  // CRI-O's pull_progress_timeout: it logs this, then cancels the pull ("context canceled").
  {
    id: "crio-pull-progress-timeout",
    cause: "pull-timeout",
    pattern: /Timed out on waiting up to \S{1,32} for image pull progress updates/i,
    priority: NO_PROGRESS,
    source: "CRI-O ≥ 1.30 (pull_progress_timeout)",
  },
  {
    id: "containerd-copy-deadline",
    cause: "pull-timeout",
    pattern: /failed to copy: [\s\S]{0,2048}context (?:deadline exceeded|canceled)/i,
    priority: DEADLINE + 2,
    source: "containerd",
  },
  {
    id: "containerd-blob-deadline",
    cause: "pull-timeout",
    pattern: /\/blobs\/sha256:[0-9a-f]{6,64}"?: context (?:deadline exceeded|canceled)/i,
    priority: DEADLINE + 2,
    source: "containerd",
  },
  // The progress timeout cancels the pull's context, so what reaches kubelet is "context canceled".
  {
    id: "containerd-pull-canceled",
    cause: "pull-timeout",
    pattern: /failed to pull and unpack image "[^"]{1,1024}": [\s\S]{0,2048}context canceled/i,
    priority: DEADLINE - 5,
    source: "containerd (image_pull_progress_timeout)",
  },
  {
    id: "grpc-deadline-exceeded",
    cause: "pull-timeout",
    pattern: /rpc error: code = DeadlineExceeded/i,
    priority: WRAPPER,
    source: "CRI gRPC (crictl, kubelet)",
  },
  { id: "grpc-canceled", cause: "pull-timeout", pattern: /rpc error: code = Canceled/i, priority: WRAPPER, source: "CRI gRPC" },
  { id: "go-context-deadline", cause: "pull-timeout", pattern: /context deadline exceeded/i, priority: BARE, source: "go context" },
  { id: "go-context-canceled", cause: "pull-timeout", pattern: /context canceled/i, priority: BARE, source: "go context (dockershim, containerd)" },
];
