import type { Cause } from "./causes.js";
import type { DiagnosisFacts } from "./facts.js";

/**
 * Commands a person can paste, built from what the diagnosis learned. Names that only the
 * cluster knows (deployment, container, namespace) stay placeholders; everything the node saw
 * (image, registry, tags, secret) is filled in.
 */
export function fixCommands(cause: Cause, f: DiagnosisFacts): string[] {
  const rule = FIXES[cause];
  return rule ? rule(f) : [];
}

const NS = "<namespace>";

function namespace(f: DiagnosisFacts): string {
  return f.secretNamespace ?? NS;
}

/** kubelet matches Docker Hub credentials under this key; `docker.io` alone also works. */
export function dockerServer(f: DiagnosisFacts): string {
  return f.domain === "docker.io" || f.domain === undefined ? "https://index.docker.io/v1/" : f.domain;
}

function registryHost(f: DiagnosisFacts): string {
  if (f.endpoint) return new URL(f.endpoint).host;
  return f.domain === "docker.io" ? "registry-1.docker.io" : (f.domain ?? "<registry>");
}

/** The image as the user wrote it, with another tag. */
export function withTag(image: string, tag: string): string {
  const noDigest = image.split("@")[0] ?? image;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const base = colon > slash ? noDigest.slice(0, colon) : noDigest;
  return `${base}:${tag}`;
}

function setImage(image: string): string {
  return `kubectl set image deployment/<deployment> <container>=${image} -n ${NS}`;
}

function createSecret(f: DiagnosisFacts, name = f.secretName ?? "regcred"): string {
  return `kubectl create secret docker-registry ${name} --docker-server=${dockerServer(f)} --docker-username=<username> --docker-password=<password-or-token> -n ${namespace(f)}`;
}

function attachSecret(f: DiagnosisFacts, name = f.secretName ?? "regcred"): string {
  return `kubectl patch serviceaccount default -n ${namespace(f)} -p '{"imagePullSecrets":[{"name":"${name}"}]}'`;
}

function hostsToml(f: DiagnosisFacts, body: string): string {
  const host = f.domain ?? "<registry>";
  const dir = `${f.hostsDir.split(":")[0] ?? "/etc/containerd/certs.d"}/${host}`;
  return `mkdir -p ${dir} && cat > ${dir}/hosts.toml <<'EOF'\n${body}\nEOF`;
}

function confirm(f: DiagnosisFacts): string {
  return `pullmedic diagnose ${f.image}`;
}

const FIXES: Partial<Record<Cause, (f: DiagnosisFacts) => string[]>> = {
  "invalid-reference": (f) => {
    const lower = f.image.toLowerCase();
    const fixed = lower !== f.image ? [setImage(lower)] : [setImage("<registry>/<repository>:<tag>")];
    return [...fixed, confirm({ ...f, image: lower })];
  },
  "not-found": (f) => {
    const best = f.suggestions?.[0];
    if (best) return [setImage(withTag(f.image, best)), confirm({ ...f, image: withTag(f.image, best) })];
    if (f.repositoryExists === false) {
      return [`curl -s https://${registryHost(f)}/v2/_catalog  # list the repositories you can see, then fix the image name`, setImage("<correct-image>")];
    }
    return [setImage("<image-that-exists>"), confirm(f)];
  },
  "auth-required": (f) => [createSecret(f), attachSecret(f), confirm(f)],
  "auth-denied": (f) => {
    const name = f.secretName ?? "regcred";
    return [
      `${createSecret(f, name)} --dry-run=client -o yaml | kubectl apply -f -  # new credentials with pull access to ${f.repository ?? "the repository"}`,
      confirm(f),
    ];
  },
  "secret-invalid": (f) => [
    `${createSecret(f)} --dry-run=client -o yaml | kubectl apply -f -  # type kubernetes.io/dockerconfigjson, key for ${dockerServer(f)}`,
    attachSecret(f),
    confirm(f),
  ],
  "rate-limited": (f) => [
    `${createSecret(f, "dockerhub")}  # authenticated pulls get their own, larger quota`,
    attachSecret(f, "dockerhub"),
    hostsToml({ ...f, domain: f.domain ?? "docker.io" }, `server = "https://registry-1.docker.io"\n[host."https://<your-mirror>"]\n  capabilities = ["pull", "resolve"]`),
  ],
  dns: (f) => {
    const host = registryHost(f).replace(/:\d+$/, "");
    return [`getent hosts ${host}`, "cat /etc/resolv.conf", `# if ${host} is misspelled: ${setImage("<corrected-image>")}`];
  },
  "network-timeout": (f) => [
    `curl -sv --max-time 10 https://${registryHost(f)}/v2/`,
    "systemctl show --property=Environment containerd  # HTTPS_PROXY / NO_PROXY the runtime uses",
  ],
  "connection-refused": (f) => [`curl -sv --max-time 10 ${f.endpoint ?? `https://${registryHost(f)}`}/v2/  # is the registry running on that port?`],
  tls: (f) => {
    const host = registryHost(f);
    const hostOnly = host.replace(/:\d+$/, "");
    const dir = `${f.hostsDir.split(":")[0] ?? "/etc/containerd/certs.d"}/${f.domain ?? host}`;
    switch (f.tlsProblem) {
      case "unknown-authority":
      case "self-signed":
        return [
          `openssl s_client -connect ${host} -servername ${hostOnly} -showcerts </dev/null  # get the CA that signed it`,
          hostsToml(f, `server = "https://${host}"\n[host."https://${host}"]\n  ca = "${dir}/ca.crt"`),
        ];
      case "expired":
      case "not-yet-valid":
        return [`echo | openssl s_client -connect ${host} -servername ${hostOnly} 2>/dev/null | openssl x509 -noout -dates  # renew the registry's certificate`];
      case "wrong-host":
        return [`echo | openssl s_client -connect ${host} -servername ${hostOnly} 2>/dev/null | openssl x509 -noout -ext subjectAltName  # pull by a name the certificate lists, or reissue it for ${hostOnly}`];
      case "http-to-https":
        return [hostsToml(f, `server = "http://${host}"\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]`)];
      default:
        return [`echo | openssl s_client -connect ${host} -servername ${hostOnly}`];
    }
  },
  "registry-unavailable": (f) => [`curl -sI https://${registryHost(f)}/v2/  # retry when the registry recovers, or add a mirror in hosts.toml`],
  "platform-mismatch": (f) => {
    const arch = f.availablePlatforms?.[0]?.split("/")[1];
    return [
      arch ? `kubectl patch deployment <deployment> -n ${NS} -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/arch":"${arch}"}}}}}'` : "# schedule the pod on nodes of a platform the image offers",
      `docker buildx build --platform ${f.platform ? [f.platform.os, f.platform.architecture, f.platform.variant].filter(Boolean).join("/") : "<os>/<arch>"},${f.availablePlatforms?.join(",") ?? ""} -t ${f.image} --push .  # or publish the image for this platform`,
    ];
  },
  "pull-timeout": (f) => [
    `crictl pull ${f.image}  # pre-pull on the node, outside the pod's start-up`,
    "# containerd: raise image_pull_progress_timeout in the CRI plugin config, or pull through a closer mirror (hosts.toml)",
  ],
  "disk-full": (f) => [
    `df -h ${f.imageFsMount ?? "/var/lib/containerd"}`,
    "crictl rmi --prune  # removes every image no container uses; kubelet re-pulls what pods need",
  ],
  "never-pull": (f) => [
    `kubectl patch deployment <deployment> -n ${NS} --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/imagePullPolicy","value":"IfNotPresent"}]'`,
    `crictl pull ${f.image}  # or put the image on the node first`,
  ],
  unknown: (f) => [`pullmedic diagnose ${f.image} --pull  # adds a real pull through the runtime`, "kubectl describe pod <pod> -n <namespace>"],
};
