// The chart's values.schema.json, built here and written by `npm run manifest`: JSON Schema
// draft-07 (what Helm 3 and 4 both read), every object closed (additionalProperties: false), so an
// unknown or misspelled value stops `helm install` with its path. agent.config is the agent's own
// configuration schema (agent/config, zod) less the keys the chart wires itself, so the chart and
// the agent cannot disagree about what a valid agent.yaml is; aggregator.config likewise is the
// aggregator's own schema (aggregator/config.ts) less what the chart wires.

import { z } from "zod";
import { configSchema } from "../../agent/config/schema.js";
import { aggregatorConfigSchema } from "../../aggregator/config.js";

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
  // The agent reads the runtime's own hosts dir through /proc/<pid>/root: nothing to mount or name.
  hostsDir: true,
  stateFile: true,
  listen: true,
  logLevel: true,
  logFormat: true,
  report: ["aggregator", "tokenFile", "caFile"],
  kube: ["kubeconfig", "context", "readSecrets"],
};

/** Keys of aggregator.yaml the chart sets from its own values (env, mounts, auth, tls): not for aggregator.config. */
const AGGREGATOR_WIRED: Record<string, string[] | true> = {
  grpcListen: true,
  httpListen: true,
  // The database is the chart's: SQLite on its volume, or PostgreSQL with the DSN from a Secret (aggregator.database).
  database: true,
  databaseFile: true,
  tokenFile: true,
  allowUnauthenticated: true,
  agentAuth: true,
  httpAuth: true,
  trustLoopbackPeers: true,
  kube: true,
  tls: true,
  plaintext: true,
  logLevel: true,
  logFormat: true,
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

type ObjectSchema = Schema & { properties: Record<string, Schema & { properties?: Record<string, Schema> }> };

/** A zod schema as draft-07 JSON Schema, less the keys (or sub-keys) in `wired`. */
function lessWired(schema: z.ZodType, wired: Record<string, string[] | true>): ObjectSchema {
  const full = clean(z.toJSONSchema(schema, { io: "input", target: "draft-7", unrepresentable: "any" })) as ObjectSchema;
  for (const [key, w] of Object.entries(wired)) {
    if (w === true) delete full.properties[key];
    else for (const sub of w) delete full.properties[key]?.properties?.[sub];
  }
  return full;
}

function agentConfigSchema(): Schema {
  const full = lessWired(configSchema, WIRED);
  // With hostNetwork the agent's port is on the node's network: the chart never opens it to anyone.
  full.properties["httpAuth"] = {
    enum: ["auto", "kubernetes"],
    description: "auto: TokenReview and SubjectAccessReview beyond loopback; none is refused here",
  };
  return { ...full, description: "agent.yaml, less what the chart wires itself (socket, paths, listen address, aggregator, token, readSecrets)" };
}

function aggregatorConfigValuesSchema(): Schema {
  return {
    ...lessWired(aggregatorConfigSchema, AGGREGATOR_WIRED),
    description: "aggregator.yaml, less what the chart wires itself (listens, database, auth, TLS, logs)",
  };
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
      auth: closed(
        {
          mode: { enum: ["serviceAccount", "token"] },
          audience: { type: "string", minLength: 1 },
          token: closed({ existingSecret: str }),
        },
        {
          // The shared-token way needs a Secret the user made: the chart never renders a credential.
          if: { properties: { mode: { const: "token" } }, required: ["mode"] },
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, never awaited
          then: {
            properties: { token: { properties: { existingSecret: { type: "string", minLength: 1 } }, required: ["existingSecret"] } },
            required: ["token"],
          },
        },
      ),
      runtime: closed({
        preset: { enum: ["containerd", "k3s", "rke2", "microk8s", "k0s", "crio"] },
        socket: { type: "string", pattern: "^((unix://)?/.+)?$" },
        root: { type: "string", pattern: "^(/.*)?$" },
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
        tls: closed({ mode: { enum: ["secret", "certManager", "plaintext"] }, dnsNames: { type: "array", items: { type: "string", minLength: 1 } } }),
        config: aggregatorConfigValuesSchema(),
        database: closed(
          {
            engine: { enum: ["sqlite", "postgres"] },
            // A Secret's key: the file name it is mounted as.
            postgres: closed({ existingSecret: str, key: { type: "string", pattern: "^[-._a-zA-Z0-9]+$" } }),
          },
          {
            // The DSN comes from a Secret the user made: the chart never renders a credential.
            if: { properties: { engine: { const: "postgres" } }, required: ["engine"] },
            // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, never awaited
            then: {
              properties: { postgres: { properties: { existingSecret: { type: "string", minLength: 1 } }, required: ["existingSecret"] } },
              required: ["postgres"],
            },
          },
        ),
        // More than one with SQLite is refused by the template, with the reason.
        replicas: { type: "integer", minimum: 1 },
        resources,
        persistence: closed({ size: quantity, storageClassName: str, existingClaim: str }),
        ...placement,
        podAnnotations: stringMap,
        readPodsForNodeClaim: { enum: ["auto", true, false] },
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
