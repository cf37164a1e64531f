/**
 * The building blocks of fix commands, shared by `explain` (facts from a message) and `diagnose`
 * (facts from the node). Values that came from outside are shell-quoted; what only the cluster
 * knows stays a <placeholder>.
 */

import { hostAndPort } from "../../core/net/index.js";

const NAMESPACE_PLACEHOLDER = "<namespace>";
export const DEFAULT_HOSTS_DIR = "/etc/containerd/certs.d";
/** kubelet matches Docker Hub credentials under this key (`docker.io` alone also works). */
export const DOCKER_HUB_SERVER = "https://index.docker.io/v1/";

/** Quotes a value for a POSIX shell unless it is plainly safe as it is. Placeholders stay bare. */
export function shellQuote(value: string): string {
  if (/^(?:[A-Za-z0-9._/:@%+=,-]|<[a-z-]+>)+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `workload` is kind/name ("deployment/web"); names come validated or as placeholders. */
export function setImageCommand(image: string, namespace = NAMESPACE_PLACEHOLDER, workload = "deployment/<deployment>", container = "<container>"): string {
  return `kubectl set image ${workload} ${container}=${shellQuote(image)} -n ${namespace}`;
}

export function diagnoseCommand(image: string | undefined, extra = ""): string {
  return `pullmedic diagnose ${image === undefined ? "<image>" : shellQuote(image)}${extra}`;
}

export interface SecretCommand {
  name: string;
  server: string;
  namespace?: string;
  /** ECR: the password is a 12-hour token from the AWS CLI. */
  ecrRegion?: string;
  /** Replace an existing Secret instead of creating a new one. */
  apply?: boolean;
}

export function createSecretCommand(s: SecretCommand): string {
  const credentials =
    s.ecrRegion !== undefined
      ? `--docker-username=AWS --docker-password="$(aws ecr get-login-password --region ${s.ecrRegion})"`
      : "--docker-username=<username> --docker-password=<password-or-token>";
  const create = `kubectl create secret docker-registry ${s.name} --docker-server=${shellQuote(s.server)} ${credentials} -n ${s.namespace ?? NAMESPACE_PLACEHOLDER}`;
  return s.apply ? `${create} --dry-run=client -o yaml | kubectl apply -f -` : create;
}

/**
 * A JSON-patch append keeps the pull secrets the account already has (a merge patch would replace
 * the list); it needs the list to exist, hence the fallback that creates it.
 */
export function attachSecretCommand(name: string, namespace = NAMESPACE_PLACEHOLDER, serviceAccount = "default"): string {
  const append = `kubectl patch serviceaccount ${serviceAccount} -n ${namespace} --type=json -p '[{"op":"add","path":"/imagePullSecrets/-","value":{"name":"${name}"}}]'`;
  const create = `kubectl patch serviceaccount ${serviceAccount} -n ${namespace} -p '{"imagePullSecrets":[{"name":"${name}"}]}'`;
  return `${append} || ${create}`;
}

/** Writes containerd's hosts.toml for one registry; containerd reads it without a restart. */
export function hostsTomlCommand(hostsDir: string, registryDir: string, body: string): string {
  const root = hostsDir.split(":")[0] || DEFAULT_HOSTS_DIR;
  const dir = `${root}/${registryDir}`;
  const quoted = registryDir.startsWith("<") ? dir : shellQuote(dir);
  const file = registryDir.startsWith("<") ? `${dir}/hosts.toml` : shellQuote(`${dir}/hosts.toml`);
  return `sudo mkdir -p ${quoted} && sudo tee ${file} <<'EOF'\n${body}\nEOF`;
}

/** `openssl s_client` arguments for host[:port]; IPv6 literals keep their brackets. */
export function opensslConnect(hostOnly: string | undefined, port: number): string {
  if (hostOnly === undefined) return "-connect <registry>:443 -servername <registry>";
  const address = shellQuote(`${hostOnly.includes(":") ? `[${hostOnly}]` : hostOnly}:${port}`);
  return `-connect ${address} -servername ${shellQuote(hostOnly)}`;
}

/** "host:port" or "[v6]:port" → the host without brackets and the port (443 when none is written). */
export function splitHostPort(hostPort: string): { hostOnly: string; port: number } {
  const { host, port } = hostAndPort(hostPort, 443);
  return { hostOnly: host, port };
}
