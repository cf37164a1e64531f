import type { CredentialSignal } from "./rules.js";

/**
 * What the whole chain of a message says besides its innermost error: whether credentials were
 * sent, and whose wording it is. Rules read these to tell a 403 to an anonymous caller ("send
 * credentials") from a 403 to a rejected password ("these credentials are wrong").
 */
export interface ChainSignals {
  /** undefined when nothing in the text says. */
  credentials: CredentialSignal | undefined;
  /** Components whose own wording appears, outermost first (kubelet wraps CRI errors, CRI wraps registry answers). */
  components: Component[];
}

export type Component = "kubelet" | "containerd" | "cri-o" | "docker" | "registry";

interface CredentialWording {
  signal: CredentialSignal;
  pattern: RegExp;
  /** Whose words these are, for the docs and the table. */
  source: string;
}

// Linear patterns only (see rules.ts). A wording belongs here only if it says outright whether
// the request carried credentials; the registry's own verdict on them is for the rules.
export const CREDENTIAL_WORDINGS: readonly CredentialWording[] = [
  { signal: "none", pattern: /failed to fetch anonymous token/i, source: "containerd authorizer (no secret for the host)" },
  { signal: "none", pattern: /no basic auth credentials/i, source: "containerd, docker" },
  { signal: "none", pattern: /Unauthenticated request/i, source: "Artifact Registry" },
  { signal: "none", pattern: /unauthenticated pull rate limit/i, source: "Docker Hub" },
  { signal: "none", pattern: /failed to handle basic auth because missing username or secret/i, source: "containerd" },
  { signal: "sent", pattern: /failed to fetch oauth token/i, source: "containerd authorizer (a secret was held)" },
  { signal: "sent", pattern: /incorrect username or password|Invalid Username or Password/i, source: "Docker Hub, Quay" },
  { signal: "sent", pattern: /HTTP Basic: Access denied/i, source: "GitLab" },
  { signal: "sent", pattern: /pull rate limit as '/i, source: "Docker Hub (authenticated quota)" },
  { signal: "sent", pattern: /\bAuthorization: (?:Basic|Bearer) /i, source: "HTTP request dumps" },
  { signal: "sent", pattern: /authorization token has expired/i, source: "ECR" },
  { signal: "sent", pattern: /login attempt to \S{1,2048} failed with status/i, source: "docker login" },
];

interface ComponentWording {
  component: Component;
  pattern: RegExp;
}

const COMPONENT_WORDINGS: readonly ComponentWording[] = [
  { component: "kubelet", pattern: /Failed to pull image "|Back-off pulling image|because the registry is unavailable|pull policy of/i },
  {
    component: "containerd",
    pattern: /failed to pull and unpack image|failed to resolve (?:reference|image)|httpReadSeeker|unexpected status from (?:HEAD|GET|POST) request/i,
  },
  { component: "cri-o", pattern: /initializing source docker:\/\/|reading manifest \S{1,256} in |pinging container registry|RegistryUnavailable: /i },
  { component: "docker", pattern: /Error response from daemon|pull access denied for /i },
  { component: "registry", pattern: /\b(?:denied|unauthorized|manifest unknown|name unknown|toomanyrequests): |"errors": ?\[/i },
];

export function readSignals(text: string, fallback?: CredentialSignal): ChainSignals {
  return { credentials: credentialSignal(text) ?? fallback, components: components(text) };
}

/** The wording latest in the text wins: it is the innermost, closest to the request itself. */
function credentialSignal(text: string): CredentialSignal | undefined {
  let best: { signal: CredentialSignal; at: number } | undefined;
  for (const w of CREDENTIAL_WORDINGS) {
    const m = w.pattern.exec(text);
    if (m !== null && (best === undefined || m.index > best.at)) best = { signal: w.signal, at: m.index };
  }
  return best?.signal;
}

function components(text: string): Component[] {
  return COMPONENT_WORDINGS.map((w) => ({ c: w.component, at: w.pattern.exec(text)?.index ?? -1 }))
    .filter((x) => x.at >= 0)
    .sort((a, b) => a.at - b.at)
    .map((x) => x.c);
}
