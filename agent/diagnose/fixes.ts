import type { Cause } from "./causes.js";
import type { DiagnosisFacts } from "./facts.js";
import {
  attachSecretCommand,
  createSecretCommand,
  DOCKER_HUB_SERVER,
  diagnoseCommand,
  hostsTomlCommand,
  opensslConnect,
  setImageCommand,
  shellQuote,
  splitHostPort,
} from "./fix-commands.js";
import { providerCommands } from "./provider-commands.js";

/**
 * Fix commands for a diagnosis, built from what the node saw: the image, the registry endpoint
 * that failed, the closest tags, the Secret's name and namespace, the certificate problem.
 */
export function fixCommands(cause: Cause, f: DiagnosisFacts): string[] {
  // With a credential provider covering the image, the node never used a pull secret for it.
  if (f.provider !== undefined && (cause === "auth-required" || cause === "auth-denied")) {
    return providerCommands(f.provider.provider, f.image, f.provider, f.domain);
  }
  const rule = FIXES[cause];
  return rule ? rule(f) : [];
}

function namespace(f: DiagnosisFacts): string | undefined {
  return f.secretNamespace;
}

function secretServer(f: DiagnosisFacts): string {
  return f.domain === undefined || f.domain === "docker.io" ? DOCKER_HUB_SERVER : f.domain;
}

/** host[:port] of the endpoint that failed, else the registry's API host. */
function endpointHost(f: DiagnosisFacts): string {
  if (f.endpoint) return new URL(f.endpoint).host;
  return f.domain === "docker.io" ? "registry-1.docker.io" : (f.domain ?? "<registry>");
}

/** The image as the user wrote it, with another tag. */
function withTag(image: string, tag: string): string {
  const noDigest = image.split("@")[0] ?? image;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const base = colon > slash ? noDigest.slice(0, colon) : noDigest;
  return `${base}:${tag}`;
}

function secret(f: DiagnosisFacts, name = f.secretName ?? "regcred", apply = false): string {
  const ns = namespace(f);
  return createSecretCommand({ name, server: secretServer(f), apply, ...(ns ? { namespace: ns } : {}) });
}

function setImage(f: DiagnosisFacts, image: string): string {
  return setImageCommand(image, namespace(f));
}

function hostsToml(f: DiagnosisFacts, body: string): string {
  return hostsTomlCommand(f.hostsDir, f.domain ?? "<registry>", body);
}

const FIXES: Partial<Record<Cause, (f: DiagnosisFacts) => string[]>> = {
  "invalid-reference": (f) => {
    const lower = f.image.toLowerCase();
    return lower !== f.image ? [setImage(f, lower), diagnoseCommand(lower)] : [setImage(f, "<registry>/<repository>:<tag>")];
  },
  "not-found": (f) => {
    const best = f.suggestions?.[0];
    if (best) return [setImage(f, withTag(f.image, best)), diagnoseCommand(withTag(f.image, best))];
    if (f.repositoryExists === false) {
      return [
        `curl -s ${shellQuote(`${f.endpoint ?? `https://${endpointHost(f)}`}/v2/_catalog`)}  # repositories you can see; then fix the image name`,
        setImage(f, "<correct-image>"),
      ];
    }
    return [setImage(f, "<image-that-exists>"), `docker push ${shellQuote(f.image)}  # if this tag was built but never pushed`];
  },
  "auth-required": (f) => [secret(f), attachSecretCommand(f.secretName ?? "regcred", namespace(f)), diagnoseCommand(f.image, " --secret <secret.yaml>")],
  "auth-denied": (f) => [
    `${secret(f, f.secretName ?? "regcred", true)}  # credentials with pull access to ${f.repository ?? "the repository"}`,
    diagnoseCommand(f.image, " --secret <secret.yaml>"),
  ],
  "secret-invalid": (f) => [
    `${secret(f, f.secretName ?? "regcred", true)}  # kubectl writes a kubernetes.io/dockerconfigjson Secret keyed ${secretServer(f)}`,
    attachSecretCommand(f.secretName ?? "regcred", namespace(f)),
  ],
  "rate-limited": (f) => [
    `${secret(f, "dockerhub")}  # authenticated pulls count against the account, not the node's address`,
    attachSecretCommand("dockerhub", namespace(f)),
    // The file goes under the image's registry, so its upstream must be that registry, not always Docker Hub.
    hostsToml(
      f,
      `server = "https://${f.domain === undefined || f.domain === "docker.io" ? "registry-1.docker.io" : f.domain}"\n[host."https://<mirror>"]\n  capabilities = ["pull", "resolve"]`,
    ),
  ],
  dns: (f) => {
    const { hostOnly } = splitHostPort(endpointHost(f));
    return [`getent hosts ${shellQuote(hostOnly)}`, "cat /etc/resolv.conf", `# if ${hostOnly} is misspelt: ${setImage(f, "<corrected-image>")}`];
  },
  "network-timeout": (f) => [
    `curl -sv --max-time 10 ${shellQuote(`${f.endpoint ?? `https://${endpointHost(f)}`}/v2/`)}`,
    "systemctl show --property=Environment containerd  # the HTTPS_PROXY / NO_PROXY containerd uses",
  ],
  "connection-refused": (f) => {
    const { hostOnly, port } = splitHostPort(endpointHost(f));
    return [`nc -vz -w 5 ${shellQuote(hostOnly)} ${port}  # is the registry running and listening on that port?`];
  },
  tls: (f) => {
    const host = endpointHost(f);
    const { hostOnly, port } = splitHostPort(host);
    const connect = opensslConnect(hostOnly, port);
    const dir = `${f.hostsDir.split(":")[0] || "/etc/containerd/certs.d"}/${f.domain ?? host}`;
    switch (f.tlsProblem) {
      case "unknown-authority":
      case "self-signed":
        return [
          `openssl s_client ${connect} -showcerts </dev/null  # the last certificate shown is the CA to trust`,
          hostsToml(f, `server = "https://${host}"\n[host."https://${host}"]\n  ca = "${dir}/ca.crt"`),
        ];
      case "expired":
      case "not-yet-valid":
        return [
          `echo | openssl s_client ${connect} 2>/dev/null | openssl x509 -noout -dates  # renew the registry's certificate`,
          "date -u  # a wrong node clock makes valid certificates look expired",
        ];
      case "wrong-host":
        return [
          `echo | openssl s_client ${connect} 2>/dev/null | openssl x509 -noout -ext subjectAltName  # pull by a name the certificate lists, or reissue it for ${hostOnly}`,
        ];
      case "http-to-https": {
        // Either side can be the plain one: an https endpoint answered in HTTP, or an http one in TLS.
        const scheme = f.endpoint?.startsWith("http:") ? "https" : "http";
        return [hostsToml(f, `server = "${scheme}://${host}"\n[host."${scheme}://${host}"]\n  capabilities = ["pull", "resolve"]`)];
      }
      default:
        return [`echo | openssl s_client ${connect}`];
    }
  },
  "registry-unavailable": (f) => [
    `curl -s -o /dev/null -w '%{http_code}\\n' ${shellQuote(`${f.endpoint ?? `https://${endpointHost(f)}`}/v2/`)}  # 5xx: the registry is failing; kubelet retries on its own`,
  ],
  "platform-mismatch": (f) => {
    // Platform names come from the registry's index: only a plain name goes inside the quoted patch.
    const arch = f.availablePlatforms?.[0]?.split("/")[1];
    const wanted = f.platform ? [f.platform.os, f.platform.architecture, f.platform.variant].filter(Boolean).join("/") : "<os>/<arch>";
    return [
      arch !== undefined && /^[a-z0-9_.-]+$/i.test(arch)
        ? `kubectl patch deployment <deployment> -n ${namespace(f) ?? "<namespace>"} -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/arch":"${arch}"}}}}}'  # run it where the image runs`
        : "kubectl get nodes -L kubernetes.io/arch",
      `docker buildx build --platform ${shellQuote([wanted, ...(f.availablePlatforms ?? [])].join(","))} -t ${shellQuote(f.image)} --push .  # or publish the image for this platform too`,
    ];
  },
  "pull-timeout": (f) => [
    `crictl pull ${shellQuote(f.image)}  # pull ahead of time, outside the pod's start`,
    "grep -n image_pull_progress_timeout /etc/containerd/config.toml  # containerd cancels a pull with no progress for this long (default 5m)",
  ],
  "disk-full": (f) => [
    `df -h ${shellQuote(f.imageFsMount ?? "/var/lib/containerd")}`,
    "crictl rmi --prune  # caveat: removes every image no container uses, and some versions remove the pause image too",
  ],
  "never-pull": (f) => [
    `kubectl patch deployment <deployment> -n ${namespace(f) ?? "<namespace>"} -p '{"spec":{"template":{"spec":{"containers":[{"name":"<container>","imagePullPolicy":"IfNotPresent"}]}}}}'`,
    `crictl pull ${shellQuote(f.image)}  # or keep Never and put the image on every node first`,
  ],
  unknown: (f) => [diagnoseCommand(f.image, " --pull  # adds a real pull through the runtime"), "kubectl describe pod <pod> -n <namespace>"],
};
