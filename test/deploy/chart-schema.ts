// The chart's values.schema.json, built here and written by `npm run manifest`: JSON Schema
// draft-07 (what Helm 3 and 4 both read), every object closed (additionalProperties: false), so an
// unknown or misspelled value stops `helm install` with its path. agent.config is the agent's own
// configuration schema (agent/config, zod) less the keys the chart wires itself, so the chart and
// the agent cannot disagree about what a valid agent.yaml is.

import { z } from "zod";
import { configSchema } from "../../agent/config/schema.js";

type Schema = Record<string, unknown>;

const closed = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({ type: "object", additionalProperties: false, properties, ...extra });
const str: Schema = { type: "string" };
const bool: Schema = { type: "boolean" };
const port: Schema = { type: "integer", minimum: 1, maximum: 65535 };
const stringMap: Schema = { type: "object", additionalProperties: { type: "string" } };
const quantity: Schema = {
  anyOf: [
    { type: "string", pattern: "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$" },
    { type: "number", minimum: 0 },
  ],
};
const quantities: Schema = { type: "object", additionalProperties: quantity };
const resources = closed({ requests: quantities, limits: quantities });
const toleration = closed({
  key: str,
  operator: { enum: ["Exists", "Equal"] },
  value: str,
  effect: { enum: ["NoSchedule", "PreferNoSchedule", "NoExecute"] },
  tolerationSeconds: { type: "integer" },
});
const affinity = closed({ nodeAffinity: { type: "object" }, podAffinity: { type: "object" }, podAntiAffinity: { type: "object" } });
const placement = { nodeSelector: stringMap, tolerations: { type: "array", items: toleration }, affinity, priorityClassName: str };
/** A NetworkPolicyPeer: pods, namespaces or an address block. */
const peer = closed({
  podSelector: { type: "object" },
  namespaceSelector: { type: "object" },
  ipBlock: closed({ cidr: str, except: { type: "array", items: str } }, { required: ["cidr"] }),
});
const intOrPercent: Schema = {
  anyOf: [
    { type: "integer", minimum: 0 },
    { type: "string", pattern: "^[0-9]+%$" },
  ],
};
const monitor = closed({ enabled: bool, interval: { type: "string", pattern: "^([0-9]+(ms|s|m|h))+$" }, labels: stringMap });

/** Keys of agent.yaml the chart sets from its own values (env, mounts, RBAC): not for agent.config. */
const WIRED: Record<string, string[] | true> = {
  nodeName: true,
  criEndpoint: true,
  hostsDir: true,
  stateFile: true,
  listen: true,
  logLevel: true,
  logFormat: true,
  report: ["aggregator", "tokenFile", "caFile"],
  kube: ["kubeconfig", "context", "readSecrets"],
};

/** Drops zod's defaults (Helm applies none) and the $schema line of a subtree. */
function clean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(clean);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => k !== "default" && k !== "$schema")
      .map(([k, v]) => [k, clean(v)]),
  );
}

function agentConfigSchema(): Schema {
  const full = clean(z.toJSONSchema(configSchema, { io: "input", target: "draft-7", unrepresentable: "any" })) as Schema & {
    properties: Record<string, Schema & { properties?: Record<string, Schema> }>;
  };
  for (const [key, wired] of Object.entries(WIRED)) {
    if (wired === true) delete full.properties[key];
    else for (const sub of wired) delete full.properties[key]?.properties?.[sub];
  }
  return { ...full, description: "agent.yaml, less what the chart wires itself (socket, paths, listen address, aggregator, token, readSecrets)" };
}

export function valuesSchema(): Schema {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "pullmedic chart values",
    ...closed({
      image: closed({
        registry: str,
        repository: { type: "string", minLength: 1 },
        tag: str,
        digest: { type: "string", pattern: "^(sha256:[a-f0-9]{64})?$" },
        pullPolicy: { enum: ["Always", "IfNotPresent", "Never"] },
        pullSecrets: { type: "array", items: { type: "string", minLength: 1 } },
      }),
      namespace: closed({ create: bool }),
      logLevel: { enum: ["error", "warn", "info", "debug"] },
      logFormat: { enum: ["json", "text"] },
      auth: closed({ mode: { enum: ["token"] }, token: closed({ existingSecret: str }) }),
      runtime: closed({
        preset: { enum: ["containerd", "k3s", "rke2", "microk8s", "k0s", "crio"] },
        socket: { type: "string", pattern: "^((unix://)?/.+)?$" },
        root: { type: "string", pattern: "^(/.*)?$" },
        hostsDir: { type: "string", pattern: "^(/.*)?$" },
      }),
      agent: closed({
        config: agentConfigSchema(),
        readSecrets: bool,
        port,
        stateHostPath: { type: "string", pattern: "^/.+" },
        hostNetwork: bool,
        hostPID: bool,
        capabilities: { type: "array", items: { type: "string", pattern: "^[A-Z_]+$" } },
        resources,
        ...placement,
        maxUnavailable: intOrPercent,
        podAnnotations: stringMap,
      }),
      aggregator: closed({
        grpcPort: port,
        httpPort: port,
        resources,
        persistence: closed({ size: quantity, storageClassName: str, existingClaim: str }),
        ...placement,
        podAnnotations: stringMap,
        podDisruptionBudget: closed({ enabled: bool, maxUnavailable: intOrPercent, minAvailable: intOrPercent }),
        networkPolicy: closed({ enabled: bool, agentPeers: { type: "array", items: peer }, httpPeers: { type: "array", items: peer } }),
      }),
      monitoring: closed({
        scrapeAnnotations: bool,
        serviceMonitor: monitor,
        podMonitor: monitor,
        prometheusRule: closed({ enabled: bool, labels: stringMap }),
        runbookBaseUrl: { type: "string", pattern: "^https?://" },
        grafanaDashboard: closed({ enabled: bool, namespace: str, labels: stringMap, annotations: stringMap }),
      }),
      userClusterRole: closed({ enabled: bool }),
      cleanupHook: closed({ enabled: bool }),
    }),
  };
}
