/**
 * Message families that are recognized but have no cause label: a node's signature policy, a
 * registry's own pull policy, an image format the runtime dropped, kubelet not reaching the
 * runtime. The label stays "unknown" (the fixed set has no word for them); explain names what was
 * seen and where to look instead of "the message does not say why".
 */
export interface MessageHint {
  id: string;
  /** Linear, case-insensitive (see rules.ts). */
  pattern: RegExp;
  source: string;
  /** One sentence; `<image>` is replaced by the image the message named. */
  summary: string;
  /** Commands, most useful first; `<image>` is replaced by the (shell-quoted) image. */
  fix: readonly string[];
}

export const MESSAGE_HINTS: readonly MessageHint[] = [
  {
    id: "signature-policy-rejected",
    pattern:
      /Source image rejected: |SignatureValidationFailed|remote trust data does not exist|No valid trust data for |because the signature validation failed|is rejected by policy|A signature was required, but no signature exists|None of the signatures were accepted|Signature for identity .{1,300} is not accepted/i,
    source: "CRI-O, podman (containers/image signature policy), kubelet, Docker Content Trust",
    summary: "The node's signature policy refused <image>: it is unsigned, or signed by a key the policy does not accept.",
    fix: [
      "cat /etc/containers/policy.json  # the requirement this registry's images must meet",
      "ls /etc/crio/policies/ 2>/dev/null  # CRI-O: per-namespace policies override the node's",
      "skopeo inspect docker://<image>  # the digest whose signature is checked",
    ],
  },
  {
    id: "registries-conf-blocked",
    pattern: /registry \S{1,1024} is blocked in \S{1,1024} or \S{1,1024}/i,
    source: "CRI-O, podman (containers/image sysregistriesv2)",
    summary: "The node's registries.conf blocks the registry of <image>.",
    fix: [
      "grep -rn -B2 -A2 'blocked' /etc/containers/registries.conf /etc/containers/registries.conf.d/  # remove blocked = true, or pull from an allowed mirror",
    ],
  },
  {
    id: "harbor-project-policy",
    pattern: /cannot be pulled due to configured policy|The image is not signed by (?:cosign|notation)|PROJECTPOLICYVIOLATION/i,
    source: "Harbor (vulnerability and content-trust policies)",
    summary: "Harbor's project policy refuses to serve <image> (vulnerabilities over the project's limit, no scan, or no signature).",
    fix: [
      "# in Harbor: the project's Configuration page (vulnerability prevention, content trust), or the artifact's scan report",
      "pullmedic diagnose <image>",
    ],
  },
  {
    id: "containerd-schema1-dropped",
    pattern: /is no longer supported since containerd v2\.0/i,
    source: "containerd ≥ 2.0 (Docker schema 1 manifests)",
    summary: "<image> is a Docker schema 1 image, which containerd 2.x no longer pulls.",
    fix: ["# rebuild and push <image> with a current builder (schema 2 or OCI), or pull it on a node with containerd 1.7"],
  },
  {
    id: "runtime-unreachable",
    pattern: /dial unix \S{1,512}\.sock: connect: (?:connection refused|no such file or directory)|unknown service runtime\.v1(?:alpha2)?\.ImageService/i,
    source: "kubelet, crictl (CRI client)",
    summary: "kubelet or crictl could not reach the container runtime's socket; no registry was contacted.",
    fix: ["systemctl status containerd crio 2>/dev/null | head -20", "crictl info | head -20  # the CRI endpoint kubelet and crictl use"],
  },
  {
    id: "credential-provider-config",
    pattern:
      /plugin binary (?:executable|directory) \S{1,1024} did not exist|failed to validate credential provider config|error initializing plugin provider|Failed to register CRI auth plugins|no kind "CredentialProviderConfig" is registered/i,
    source: "kubelet (RegisterCredentialProviderPlugins)",
    summary: "kubelet's image credential provider configuration is broken, so no provider supplies registry credentials.",
    fix: ["ps -o args= -C kubelet | tr ' ' '\\n' | grep image-credential-provider  # the config file and the plugin directory kubelet was given"],
  },
  {
    id: "kubelet-image-inspect",
    pattern: /Failed to inspect image|\bErrImageInspect\b|\bImageInspectError\b/i,
    source: "kubelet (image manager)",
    summary: "kubelet could not ask the runtime whether <image> is on the node; the runtime itself is failing.",
    fix: ["crictl inspecti <image>", "journalctl -u containerd -u crio --since -15min | tail -50"],
  },
  {
    id: "exec-format-error",
    pattern: /exec format error/i,
    source: "runc, crun (container start)",
    summary: "<image> was pulled; its binaries are built for another CPU architecture than this node's.",
    fix: ["kubectl get nodes -L kubernetes.io/arch", "pullmedic diagnose <image>  # lists the platforms the image offers"],
  },
];

export function findHint(text: string): MessageHint | undefined {
  if (text === "") return undefined;
  return MESSAGE_HINTS.find((h) => h.pattern.test(text));
}
