import type { FailureCause } from "./causes.js";
import { providerFixes } from "./explain-provider.js";
import { isHubAmbiguous, lowercasedCandidate, repository, type Scene, tlsKind } from "./explain-scene.js";
import {
  attachSecretCommand,
  createSecretCommand,
  DOCKER_HUB_SERVER,
  diagnoseCommand,
  DEFAULT_HOSTS_DIR as HOSTS_DIR,
  hostsTomlCommand,
  opensslConnect,
  setImageCommand,
  shellQuote,
} from "./fix-commands.js";

/** Commands for a person to paste, most useful first; `pullmedic diagnose` first when the words cannot decide. */
export function fixesFor(s: Scene): string[] {
  const fixes = providerFixes(s) ?? FIXES[s.c.cause](s);
  if (s.c.confident || s.c.cause === "unknown") return fixes;
  const diagnose = confirm(s);
  const first = fixes.findIndex((f) => f.startsWith(diagnose));
  if (first === 0) return fixes;
  const rest = first < 0 ? fixes : fixes.filter((_, i) => i !== first);
  return [`${diagnose}  # tells the causes these words can mean apart, from this node`, ...rest];
}

function confirm(s: Scene, image = s.facts.image): string {
  return diagnoseCommand(image);
}

function setImage(s: Scene, image: string): string {
  return setImageCommand(image, s.ns, s.workloadRef, s.container);
}

/** The key kubelet matches credentials under: Docker Hub's legacy URL, else the registry host. */
function secretServer(s: Scene): string {
  if (s.dockerHub) return DOCKER_HUB_SERVER;
  return s.ref?.domain ?? s.host ?? "<registry>";
}

function createSecret(s: Scene, name: string, apply = false): string {
  return createSecretCommand({ name, server: secretServer(s), apply, namespace: s.ns, ...(s.ecrRegion !== undefined ? { ecrRegion: s.ecrRegion } : {}) });
}

function attachSecret(s: Scene, name: string): string {
  return attachSecretCommand(name, s.ns, s.serviceAccount);
}

function hostsToml(dir: string, body: string): string {
  return hostsTomlCommand(HOSTS_DIR, dir, body);
}

/** `curl` against the registry's API root; -g because curl globs brackets (IPv6 literals). */
function curl(s: Scene, flags: string, scheme = "https"): string {
  const url = s.host === undefined ? `${scheme}://<registry>/v2/` : shellQuote(`${scheme}://${s.host}/v2/`);
  return `curl ${s.host?.startsWith("[") ? "-g " : ""}${flags} ${url}`;
}

/** For TOML strings, where the host goes as it is (it passed the host syntax check). */
function rawHost(s: Scene): string {
  return s.host ?? "<registry>";
}

function hostName(s: Scene): string {
  return s.hostOnly ?? "<registry>";
}

function describePod(s: Scene, why: string): string {
  return `kubectl describe pod ${s.pod} -n ${s.ns}  # ${why}`;
}

const FIXES: Record<FailureCause, (s: Scene) => string[]> = {
  "invalid-reference": (s) => {
    const raw = s.facts.image;
    if (s.rule === "crio-short-name" && s.ref !== undefined) return [setImage(s, s.ref.normalized), confirm(s, s.ref.normalized)];
    const candidate = raw === undefined ? undefined : lowercasedCandidate(raw);
    if (candidate !== undefined) return [setImage(s, candidate), confirm(s, candidate)];
    return [setImage(s, "<registry>/<repository>:<tag>"), confirm(s, raw)];
  },
  "not-found": (s) => [
    `${confirm(s)}  # checks the repository and lists the closest existing tags`,
    setImage(s, `${repository(s)}:<existing-tag>`),
    ...(s.image ? [`docker push ${s.image}  # if this tag was built but never pushed`] : []),
  ],
  "auth-required": (s) => {
    const secret = s.secret ?? "regcred";
    return [
      ...(isHubAmbiguous(s) ? [`${confirm(s)}  # tells a repository that does not exist (fix the name) from a private one (add credentials)`] : []),
      ...(s.secret !== undefined
        ? [
            `kubectl get secret ${secret} -n ${s.ns} -o jsonpath='{.data.\\.dockerconfigjson}' | base64 -d | jq '.auths | keys'  # the registries the pod's secret has entries for`,
          ]
        : []),
      createSecret(s, secret, s.secret !== undefined),
      attachSecret(s, secret),
      ...(isHubAmbiguous(s) ? [] : [confirm(s)]),
    ];
  },
  "auth-denied": (s) => {
    if (s.rule === "ecr-token-expired") {
      return [
        `${createSecret(s, s.secret ?? "regcred", true)}  # a fresh token; it expires again in 12 h`,
        "# lasting fix: the kubelet ECR credential provider (ecr-credential-provider) renews tokens on the node",
        confirm(s),
      ];
    }
    if (s.rule === "acr-ip-not-allowed") {
      return [
        `az acr network-rule list --name ${hostName(s).split(".")[0] ?? "<registry>"}  # add the node's egress address, or reach the registry through a private endpoint`,
        confirm(s),
      ];
    }
    const secret = s.secret ?? "<secret>";
    return [
      `kubectl get secret ${secret} -n ${s.ns} -o yaml > pull-secret.yaml && pullmedic diagnose ${s.image ?? "<image>"} --secret pull-secret.yaml  # tries the secret's credentials from this node`,
      `${createSecret(s, secret, true)}  # credentials with pull access`,
      confirm(s),
    ];
  },
  "secret-invalid": (s) => {
    if (s.rule === "kubelet-image-not-ensured")
      return [describePod(s, "the pod's imagePullSecrets must hold credentials for this registry"), createSecret(s, s.secret ?? "regcred", true), confirm(s)];
    const names = s.facts.secretNames?.length ? s.facts.secretNames : [s.secret ?? "<secret>"];
    const first = names[0] ?? "<secret>";
    return [
      ...names.map((n) => `kubectl get secret ${n} -n ${s.ns} -o jsonpath='{.type}'  # must exist in the pod's namespace, type kubernetes.io/dockerconfigjson`),
      `${createSecret(s, first, true)}  # kubectl writes a correctly encoded auth entry`,
      confirm(s),
    ];
  },
  "rate-limited": (s) => {
    if (s.rule === "kubelet-pull-qps")
      return ["grep -nE 'registryPullQPS|registryBurst' /var/lib/kubelet/config.yaml  # 0 removes kubelet's own limit", confirm(s)];
    if (s.dockerHub) {
      return [
        `${createSecret(s, "dockerhub")}  # authenticated pulls count against the account, not the node's IP`,
        attachSecret(s, "dockerhub"),
        hostsToml("docker.io", `server = "https://registry-1.docker.io"\n[host."https://<mirror>"]\n  capabilities = ["pull", "resolve"]`),
        confirm(s),
      ];
    }
    return [`${createSecret(s, "regcred")}  # many registries allow more to authenticated clients`, confirm(s)];
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
  tls: (s) => tlsFixes(s),
  "registry-unavailable": (s) => {
    if (s.rule === "gcr-shut-down") return [`gcloud artifacts docker upgrade migrate --projects=<project>  # then pull from the pkg.dev name`, confirm(s)];
    return [`${curl(s, "-s -o /dev/null -w '%{http_code}\\n'")}  # 5xx: the registry is failing; kubelet retries on its own`, confirm(s)];
  },
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
    `kubectl patch ${s.workloadRef.replace("/", " ")} -n ${s.ns} -p '{"spec":{"template":{"spec":{"containers":[{"name":"${s.container}","imagePullPolicy":"IfNotPresent"}]}}}}'`,
    s.rule === "kubelet-never-pull-not-ensured"
      ? `${describePod(s, "or keep Never and give the pod the pull secret the image was pulled with")}`
      : `crictl pull ${s.image ?? "<image>"}  # or keep Never and put the image on every node first`,
    confirm(s),
  ],
  unknown: (s) => [
    ...(s.c.hint?.fix.map((f) => f.replaceAll("<image>", s.image ?? "<image>")) ?? []),
    `kubectl describe pod ${s.pod} -n ${s.ns}  # the "Failed to pull image" event carries the runtime's reason`,
    `kubectl get events -n ${s.ns} --field-selector involvedObject.name=${s.pod},reason=Failed`,
    ...(s.c.hint?.fix.some((f) => f.startsWith("pullmedic diagnose")) ? [] : [confirm(s)]),
  ],
};

function tlsFixes(s: Scene): string[] {
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
      return [
        `echo | openssl s_client ${connect} 2>/dev/null | openssl x509 -noout -dates  # renew the registry's certificate`,
        "date -u  # a wrong node clock makes valid certificates look expired",
        confirm(s),
      ];
    case "wrong-host":
      return [
        `echo | openssl s_client ${connect} 2>/dev/null | openssl x509 -noout -ext subjectAltName  # pull by a name the certificate lists, or reissue it for ${hostName(s)}`,
        confirm(s),
      ];
    case "plain-http":
      return [
        hostsToml(dir, `server = "http://${rawHost(s)}"\n[host."http://${rawHost(s)}"]\n  capabilities = ["pull", "resolve"]`) +
          "\n# or serve the registry over HTTPS",
        confirm(s),
      ];
    case "https-expected":
      return [
        hostsToml(dir, `server = "https://${rawHost(s)}"\n[host."https://${rawHost(s)}"]\n  capabilities = ["pull", "resolve"]`) +
          "\n# the registry speaks TLS: use https:// for it",
        confirm(s),
      ];
    default:
      return [`echo | openssl s_client ${connect}`, confirm(s)];
  }
}
