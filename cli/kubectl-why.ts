// `kubectl pullmedic why POD`: why this pod cannot pull, as the person at the terminal can see it
// with their own access: the PullDiagnosis Events the agent wrote on the pod; when there are none
// yet, the diagnosis the agent on the pod's node holds for it, asked through the API server's pod
// proxy; failing both, what kubelet says about the pod's containers.

import { EXIT_OK, EXIT_PROBLEM, UsageError } from "./errors.js";
import { type KubeAccess, type KubeFlags, kubeAccess } from "./kube-access.js";
import type { VerbResult } from "./result.js";

export interface WhyFlags extends KubeFlags {
  namespace?: string;
  pullmedicNamespace?: string;
  json?: boolean;
}

interface PodObject {
  metadata: { name: string; namespace?: string; uid?: string };
  spec: { nodeName?: string; containers?: { name: string; image?: string; ports?: { name?: string; containerPort: number }[] }[] };
  status?: { podIP?: string; containerStatuses?: { name: string; image?: string; state?: { waiting?: { reason?: string; message?: string } } }[] };
}
interface EventObject {
  reason?: string;
  message?: string;
  involvedObject?: { fieldPath?: string };
  lastTimestamp?: string | null;
  eventTime?: string | null;
  count?: number;
}
interface AgentFailure {
  pod: string;
  container: string;
  image: string;
  cause?: string;
  summary?: string;
  fix?: string[];
  since?: string;
}

const AGENT_SELECTOR = "app.kubernetes.io/name=pullmedic,app.kubernetes.io/component=agent";
const seg = encodeURIComponent;

export async function whyVerb(podName: string, flags: WhyFlags, env: NodeJS.ProcessEnv): Promise<VerbResult> {
  const kube = await kubeAccess(flags, env);
  try {
    const namespace = flags.namespace ?? kube.conn.namespace ?? "default";
    const pod = (await kube.get(`/api/v1/namespaces/${seg(namespace)}/pods/${seg(podName)}`).catch((err: unknown) => {
      throw /404|NotFound/.test(String(err)) ? new UsageError(`pod ${podName} not found in namespace ${namespace}`) : err;
    })) as PodObject;
    const where = `${namespace}/${podName}`;
    const events = await diagnosisEvents(kube, namespace, pod);
    if (events.length > 0) {
      const text = `${where} on ${pod.spec.nodeName ?? "no node yet"}: pullmedic's diagnosis (PullDiagnosis Event)\n\n${events.map((e) => `${e.message ?? ""}\n`).join("\n")}`;
      return { exitCode: EXIT_PROBLEM, json: { pod: where, node: pod.spec.nodeName, source: "event", diagnoses: events.map((e) => e.message) }, text };
    }
    const fromAgent = pod.spec.nodeName ? await agentDiagnosis(kube, pod, flags.pullmedicNamespace ?? "pullmedic", where) : undefined;
    if (fromAgent && fromAgent.failures.length > 0) {
      const text = `${where} on ${pod.spec.nodeName}: the agent's diagnosis (no Event yet)\n\n${fromAgent.failures.map(describe).join("\n")}`;
      return {
        exitCode: EXIT_PROBLEM,
        json: { pod: where, node: pod.spec.nodeName, source: "agent", agent: fromAgent.agent, failures: fromAgent.failures },
        text,
      };
    }
    return kubeletView(where, pod, fromAgent?.agent);
  } finally {
    await kube.close();
  }
}

async function diagnosisEvents(kube: KubeAccess, namespace: string, pod: PodObject): Promise<EventObject[]> {
  if (!pod.metadata.uid) return [];
  const query = new URLSearchParams({ fieldSelector: `involvedObject.uid=${pod.metadata.uid}` });
  const list = (await kube.get(`/api/v1/namespaces/${seg(namespace)}/events?${query}`)) as { items?: EventObject[] };
  const at = (e: EventObject) => Date.parse(e.lastTimestamp ?? e.eventTime ?? "") || 0;
  const latest = new Map<string, EventObject>();
  for (const e of (list.items ?? []).filter((x) => x.reason === "PullDiagnosis").sort((a, b) => at(a) - at(b)))
    latest.set(e.involvedObject?.fieldPath ?? "", e);
  return [...latest.values()];
}

/** The agent pod on the pod's node, and its current diagnoses of this pod (GET /v1/state through the pod proxy). */
async function agentDiagnosis(
  kube: KubeAccess,
  pod: PodObject,
  pmNamespace: string,
  where: string,
): Promise<{ agent: string; failures: AgentFailure[] } | undefined> {
  const query = new URLSearchParams({ labelSelector: AGENT_SELECTOR, fieldSelector: `spec.nodeName=${pod.spec.nodeName}` });
  const agents = (await kube.get(`/api/v1/namespaces/${seg(pmNamespace)}/pods?${query}`)) as { items?: PodObject[] };
  const agent = agents.items?.[0];
  if (!agent) return undefined;
  const port = agent.spec.containers?.[0]?.ports?.find((p) => p.name === "http")?.containerPort ?? 9476;
  const r = await kube.send({ verb: "GET", path: `/api/v1/namespaces/${seg(pmNamespace)}/pods/${seg(agent.metadata.name)}:${port}/proxy/v1/state` });
  if (r.status !== 200)
    throw new Error(`the agent ${pmNamespace}/${agent.metadata.name} did not answer through the API server's proxy (${r.status}): ${r.text.slice(0, 200)}`);
  const state = JSON.parse(r.text) as { pods?: { failures?: AgentFailure[] } };
  return { agent: `${pmNamespace}/${agent.metadata.name}`, failures: (state.pods?.failures ?? []).filter((f) => f.pod === where) };
}

function describe(f: AgentFailure): string {
  const lines = [`container ${f.container}: ${f.image}`, `  cause: ${f.cause ?? "pending (the diagnosis is running)"}`];
  if (f.summary) lines.push(`  ${f.summary}`);
  for (const fix of f.fix ?? []) lines.push(`  fix: ${fix}`);
  return `${lines.join("\n")}\n`;
}

function kubeletView(where: string, pod: PodObject, agent: string | undefined): VerbResult {
  const waiting = (pod.status?.containerStatuses ?? []).filter((c) => c.state?.waiting);
  const lines = waiting.map(
    (c) => `container ${c.name}: ${c.state?.waiting?.reason ?? "waiting"}${c.state?.waiting?.message ? `: ${c.state.waiting.message}` : ""}`,
  );
  const head = agent
    ? `${where}: the agent (${agent}) knows no pull failure of this pod`
    : `${where}: no pullmedic agent runs on ${pod.spec.nodeName ?? "its node (not scheduled yet)"}`;
  const text = `${head}.\n${lines.length ? `${lines.join("\n")}\nExplain kubelet's words with: pullmedic explain '<message>'\n` : "Its containers are not waiting on a pull.\n"}`;
  const pulling = waiting.some((c) => /ImagePull|ErrImage|InvalidImageName/.test(c.state?.waiting?.reason ?? ""));
  return {
    exitCode: pulling ? EXIT_PROBLEM : EXIT_OK,
    json: { pod: where, node: pod.spec.nodeName, source: "kubelet", agent, waiting: waiting.map((c) => ({ container: c.name, ...c.state?.waiting })) },
    text,
  };
}
