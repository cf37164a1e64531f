// Pull-hygiene risks: things in a pod spec that have not failed a pull yet but make one likely
// (a moving tag, a pull on every restart against Docker Hub's quota, a pull secret that is not
// there). Each comes with a command to fix it where the pod's owner is known.

import { DOCKER_HUB_DOMAIN, type ImageReference, ImageReferenceError, tryParseReference } from "../../core/image/index.js";
import type { ContainerSpec, Pod } from "../kube/index.js";
import { type ContainerKind, podNamespace, pullSecretNames } from "./detect.js";

export type HygieneKind = "latest-tag" | "always-pull-docker-hub" | "secret-missing" | "secret-other-namespace" | "invalid-reference";

export interface HygieneRisk {
  kind: HygieneKind;
  /** "namespace/name" */
  pod: string;
  container?: string;
  image?: string;
  secret?: string;
  message: string;
  /** A command to run, or what to change when no command can be written. */
  fix?: string;
}

export type SecretLookup =
  | { state: "found" }
  /** `elsewhere`: namespaces where a Secret of that name exists. */
  | { state: "missing"; elsewhere?: string[] }
  | { state: "unreadable"; reason: string };

const DEFAULT_TAG = "latest";

/**
 * Controllers whose pod template `kubectl set image` and `kubectl patch` can change, by the kind
 * in the pod's ownerReference. Jobs are left out: their template is immutable.
 */
const EDITABLE_OWNERS: Readonly<Record<string, string>> = {
  StatefulSet: "statefulset",
  DaemonSet: "daemonset",
  ReplicaSet: "replicaset",
  ReplicationController: "replicationcontroller",
};

/** The label the Deployment controller puts on its ReplicaSets' pods; the RS is named `<deploy>-<hash>`. */
const TEMPLATE_HASH_LABEL = "pod-template-hash";

interface ContainerEntry {
  kind: ContainerKind;
  spec: ContainerSpec;
  image: string;
}

interface PodContext {
  pod: Pod;
  id: string;
  namespace: string;
  /** e.g. "deploy/web"; undefined when the pod has no owner a command can edit. */
  owner: string | undefined;
}

type ContainerRule = (ctx: PodContext, c: ContainerEntry, ref: ImageReference) => HygieneRisk | undefined;

/** Rules that look at one well-formed image of one container; ephemeral (debug) containers are exempt. */
const CONTAINER_RULES: readonly ContainerRule[] = [latestTagRisk, alwaysPullDockerHubRisk];

/** Pull-hygiene risks of the pod; never throws, whatever the image strings are. */
export function hygieneRisks(pod: Pod, secrets: ReadonlyMap<string, SecretLookup>): HygieneRisk[] {
  const namespace = podNamespace(pod);
  const ctx: PodContext = { pod, id: `${namespace}/${pod.metadata.name}`, namespace, owner: editableOwner(pod) };
  const risks: HygieneRisk[] = [];
  for (const c of containers(pod)) {
    const ref = tryParseReference(c.image);
    if (ref instanceof ImageReferenceError) {
      risks.push(invalidReferenceRisk(ctx, c, ref));
      continue;
    }
    if (c.kind === "ephemeral") continue;
    for (const rule of CONTAINER_RULES) {
      const risk = rule(ctx, c, ref);
      if (risk !== undefined) risks.push(risk);
    }
  }
  for (const name of pullSecretNames(pod)) {
    const risk = secretRisk(ctx, name, secrets.get(name));
    if (risk !== undefined) risks.push(risk);
  }
  return risks;
}

function containers(pod: Pod): ContainerEntry[] {
  const spec = pod.spec;
  const groups: [ContainerKind, ContainerSpec[] | undefined][] = [
    ["init", spec?.initContainers],
    ["container", spec?.containers],
    ["ephemeral", spec?.ephemeralContainers],
  ];
  return groups.flatMap(([kind, list]) => (list ?? []).flatMap((c) => (typeof c.image === "string" ? [{ kind, spec: c, image: c.image }] : [])));
}

function isMovingTag(ref: ImageReference): boolean {
  return ref.digest === undefined && (ref.tag === undefined || ref.tag === DEFAULT_TAG);
}

function latestTagRisk(ctx: PodContext, c: ContainerEntry, ref: ImageReference): HygieneRisk | undefined {
  if (!isMovingTag(ref)) return undefined;
  const how = ref.tag === undefined ? "has no tag, so it means latest" : "uses the tag latest";
  return {
    kind: "latest-tag",
    pod: ctx.id,
    container: c.spec.name,
    image: c.image,
    message:
      `container "${c.spec.name}" image "${c.image}" ${how}: which build runs depends on when each node pulled it, ` +
      `and a rollback cannot go back to the previous build`,
    fix: pinFix(ctx, c, ref),
  };
}

function alwaysPullDockerHubRisk(ctx: PodContext, c: ContainerEntry, ref: ImageReference): HygieneRisk | undefined {
  if (ref.domain !== DOCKER_HUB_DOMAIN) return undefined;
  const explicit = c.spec.imagePullPolicy;
  // kubelet's (and the API server's) default when the field is unset.
  const policy = explicit ?? (isMovingTag(ref) ? "Always" : "IfNotPresent");
  if (policy !== "Always") return undefined;
  const why = explicit === undefined ? "has no imagePullPolicy, which defaults to Always for a latest or missing tag" : "has imagePullPolicy Always";
  const base = {
    kind: "always-pull-docker-hub" as const,
    pod: ctx.id,
    container: c.spec.name,
    image: c.image,
    message:
      `container "${c.spec.name}" (Docker Hub image "${c.image}") ${why}: every container start asks Docker Hub for the image, ` +
      `which can spend Docker Hub pull quota on restarts and makes a restart fail while Hub is down or the quota is used up`,
  };
  if (explicit === undefined) {
    // With a pinned tag the default becomes IfNotPresent, and the moving tag goes away too.
    return { ...base, fix: pinFix(ctx, c, ref) };
  }
  return { ...base, fix: pullPolicyFix(ctx, c) };
}

function invalidReferenceRisk(ctx: PodContext, c: ContainerEntry, err: ImageReferenceError): HygieneRisk {
  const fix =
    ctx.owner !== undefined && c.kind !== "ephemeral"
      ? `kubectl -n ${ctx.namespace} set image ${ctx.owner} ${c.spec.name}=<corrected image>`
      : `correct the image of container "${c.spec.name}" where this pod's spec is written`;
  return {
    kind: "invalid-reference",
    pod: ctx.id,
    container: c.spec.name,
    image: c.image,
    message: `container "${c.spec.name}" image ${JSON.stringify(c.image)} is not a valid reference (${err.reason}); kubelet reports InvalidImageName and never asks a registry`,
    fix,
  };
}

function secretRisk(ctx: PodContext, name: string, lookup: SecretLookup | undefined): HygieneRisk | undefined {
  // Not looked up, present, or not readable by the agent: nothing it can claim about the pod.
  if (lookup === undefined || lookup.state !== "missing") return undefined;
  const elsewhere = (lookup.elsewhere ?? []).filter((ns) => ns !== ctx.namespace);
  const source = elsewhere[0];
  if (source !== undefined) {
    const where = elsewhere.length === 1 ? `"${source}"` : `${elsewhere.length} other namespaces (${elsewhere.slice(0, 5).join(", ")})`;
    return {
      kind: "secret-other-namespace",
      pod: ctx.id,
      secret: name,
      message:
        `pull secret "${name}" is not in namespace "${ctx.namespace}", though one of that name exists in ${where}; ` +
        `Secrets are namespaced, so kubelet pulls without credentials`,
      fix:
        `kubectl -n ${source} get secret ${name} -o json | jq '{apiVersion, kind, type, data, metadata: {name: .metadata.name}}' ` +
        `| kubectl -n ${ctx.namespace} apply -f -`,
    };
  }
  const server = registryOption(ctx.pod);
  return {
    kind: "secret-missing",
    pod: ctx.id,
    secret: name,
    message: `pull secret "${name}" does not exist in namespace "${ctx.namespace}": kubelet pulls without it, so a private image fails as unauthorized`,
    fix: `kubectl -n ${ctx.namespace} create secret docker-registry ${name}${server} --docker-username=<user> --docker-password=<token>`,
  };
}

/** `--docker-server=<host>` for the one registry the pod pulls from; kubectl's default is Docker Hub. */
function registryOption(pod: Pod): string {
  const domains = new Set<string>();
  for (const c of containers(pod)) {
    const ref = tryParseReference(c.image);
    if (!(ref instanceof ImageReferenceError)) domains.add(ref.domain);
  }
  const [only] = domains;
  if (domains.size !== 1 || only === undefined) return " --docker-server=<registry>";
  return only === DOCKER_HUB_DOMAIN ? "" : ` --docker-server=${only}`;
}

function pinFix(ctx: PodContext, c: ContainerEntry, ref: ImageReference): string {
  const digest = runningDigest(ctx.pod, c.spec.name, ref);
  const repo = repositoryName(ref);
  if (ctx.owner === undefined) {
    return (
      `pin a version tag or a digest (${repo}@${digest ?? "sha256:<digest>"}) in the image of container "${c.spec.name}" ` +
      `wherever this pod's spec is written`
    );
  }
  return `kubectl -n ${ctx.namespace} set image ${ctx.owner} ${c.spec.name}=${repo}@${digest ?? "sha256:<digest>"}`;
}

function pullPolicyFix(ctx: PodContext, c: ContainerEntry): string {
  if (ctx.owner === undefined) {
    return `set imagePullPolicy: IfNotPresent on container "${c.spec.name}" wherever this pod's spec is written`;
  }
  const list = c.kind === "init" ? "initContainers" : "containers";
  const patch = JSON.stringify({ spec: { template: { spec: { [list]: [{ name: c.spec.name, imagePullPolicy: "IfNotPresent" }] } } } });
  // Strategic merge matches containers by name, so a sidecar injected at admission cannot shift it.
  return `kubectl -n ${ctx.namespace} patch ${ctx.owner} -p '${patch}'`;
}

/** The repository as the user would write it, without tag or digest. */
function repositoryName(ref: ImageReference): string {
  let name = ref.familiar;
  if (ref.digest !== undefined) name = name.slice(0, -(ref.digest.length + 1));
  const tag = ref.tag ?? (ref.digest === undefined ? DEFAULT_TAG : undefined);
  if (tag !== undefined && name.endsWith(`:${tag}`)) name = name.slice(0, -(tag.length + 1));
  return name;
}

/** The digest the node runs for this container, from its status's imageID, when it is of the same repository. */
function runningDigest(pod: Pod, container: string, ref: ImageReference): string | undefined {
  const status = pod.status;
  const all = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? []), ...(status?.ephemeralContainerStatuses ?? [])];
  const imageId = all.find((s) => s.name === container)?.imageID;
  if (imageId === undefined || imageId === "") return undefined;
  // Docker-era kubelets prefixed it: "docker-pullable://name@sha256:…".
  const running = tryParseReference(imageId.replace(/^[a-z-]+:\/\//, ""));
  if (running instanceof ImageReferenceError || running.digest === undefined) return undefined;
  return running.domain === ref.domain && running.path === ref.path ? running.digest : undefined;
}

/** "deploy/web" for a pod of a Deployment's ReplicaSet, "statefulset/db", …; undefined otherwise. */
function editableOwner(pod: Pod): string | undefined {
  const owner = (pod.metadata.ownerReferences ?? []).find((o) => EDITABLE_OWNERS[o.kind] !== undefined);
  if (owner === undefined || owner.name === "") return undefined;
  const hash = pod.metadata.labels?.[TEMPLATE_HASH_LABEL];
  if (owner.kind === "ReplicaSet" && hash !== undefined && hash !== "" && owner.name.endsWith(`-${hash}`)) {
    return `deploy/${owner.name.slice(0, -(hash.length + 1))}`;
  }
  return `${EDITABLE_OWNERS[owner.kind]}/${owner.name}`;
}
