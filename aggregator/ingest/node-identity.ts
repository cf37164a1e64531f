// Which node an agent may speak for. With service-account tokens (the default beyond loopback) the
// answer comes from Kubernetes: the agent presents a projected token with pullmedic's audience, the
// API server's TokenReview says whose it is, and the node is the one the token's pod is bound to
// (docs/facts/kubernetes-auth.md, "The node a pod-bound token names"). A hello naming any other
// node is refused with PERMISSION_DENIED. With the shared token every holder may speak for every
// node: that mode is for loopback (the embedded one-machine mode) or an explicit opt-in.

import type { UserInfo } from "../../core/kube/index.js";

const NODE_NAME_KEY = "authentication.kubernetes.io/node-name";
const POD_NAME_KEY = "authentication.kubernetes.io/pod-name";
const POD_UID_KEY = "authentication.kubernetes.io/pod-uid";
const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

/** Who opened a stream, and the one node it may speak for; `node` undefined: any node. */
export interface AgentIdentity {
  node: string | undefined;
  /** For logs and refusals: "pod pullmedic/pullmedic-agent-x7k2q (system:serviceaccount:pullmedic:pullmedic-agent)". */
  who: string;
}

/** The identity of a stream whose agents are not told apart (shared token, or no check at all). */
export function anyNode(who: string): AgentIdentity {
  return { node: undefined, who };
}

/** namespace:name → the username the API server gives that service account's tokens. */
export function serviceAccountUser(namespaceAndName: string): string {
  return namespaceAndName.startsWith(SERVICE_ACCOUNT_PREFIX) ? namespaceAndName : `${SERVICE_ACCOUNT_PREFIX}${namespaceAndName}`;
}

export interface BoundPod {
  namespace: string;
  name: string;
  uid: string;
}

/** What a reviewed token says about its node: the node, or the pod to look up, or why it cannot speak for any. */
export type NodeClaim = { node: string; identity: AgentIdentity } | { lookup: BoundPod; who: string } | { problem: string };

function first(extra: Record<string, string[]>, key: string): string | undefined {
  const value = extra[key]?.[0];
  return value === undefined || value === "" ? undefined : value;
}

/**
 * Decides from the TokenReview's user alone: the service account must be one of the agents', the
 * token bound to a pod; the node comes from the node claim (Kubernetes 1.30 on), or else from
 * that pod, looked up by the caller.
 */
export function nodeClaim(user: UserInfo, agentServiceAccounts: ReadonlySet<string>): NodeClaim {
  if (!agentServiceAccounts.has(user.username)) {
    const expected = [...agentServiceAccounts].join(", ");
    return { problem: `${user.username} is not the agents' service account (${expected}): only the agent DaemonSet's pods report` };
  }
  const podName = first(user.extra, POD_NAME_KEY);
  const podUid = first(user.extra, POD_UID_KEY);
  if (podName === undefined || podUid === undefined) {
    return {
      problem: `the token of ${user.username} is not bound to a pod: mount a projected service-account token (serviceAccountToken with the aggregator's audience) and name its file in report.tokenFile`,
    };
  }
  const namespace = user.username.slice(SERVICE_ACCOUNT_PREFIX.length).split(":")[0] ?? "";
  const who = `pod ${namespace}/${podName} (${user.username})`;
  const node = first(user.extra, NODE_NAME_KEY);
  if (node !== undefined) return { node, identity: { node, who } };
  return { lookup: { namespace, name: podName, uid: podUid }, who };
}

/** Why a hello naming `node` is refused on a stream of `identity`; undefined when it may speak for it. */
export function helloDenied(identity: AgentIdentity, node: string): string | undefined {
  if (identity.node === undefined || identity.node === node) return undefined;
  return `hello.node: ${identity.who} runs on node ${JSON.stringify(identity.node)} and may speak only for it, not for ${JSON.stringify(node.slice(0, 253))}`;
}
