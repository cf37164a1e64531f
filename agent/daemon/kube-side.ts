// The agent's Kubernetes side: the API connection, the pod watch and the node conditions. Absent
// when the agent runs outside a cluster without a kubeconfig (then every other check still runs).

import { nodePlatform } from "../../core/image/index.js";
import type { Logger } from "../../core/log/index.js";
import type { AgentConfig } from "../config/index.js";
import { diagnoseImage, nodeRuntimeFrom } from "../diagnose/index.js";
import { createKubeApi, type KubeApi, loadKubeConnection } from "../kube/index.js";
import {
  IMAGE_FS_PRESSURE,
  imageFsPressureCondition,
  NodeConditionWriter,
  PodWatch,
  REGISTRY_UNREACHABLE,
  registryUnreachableCondition,
  type WantedCondition,
} from "../podwatch/index.js";
import type { QuotaTracker } from "../quota/index.js";
import type { NodeState } from "../report/index.js";
import { viewHostsDir } from "../vantage/index.js";
import type { RuntimeHandle } from "./runtime-handle.js";

export interface KubeSide {
  api: KubeApi;
  watch: PodWatch;
  start(): void;
  /** The conditions pullmedic owns as last written to the node. */
  conditions(): { type: string; status: string; reason?: string; message?: string }[];
  /** Called after the disk and probe checks: sets or clears the conditions pullmedic owns. */
  conditionsChanged(): Promise<void>;
  stop(): Promise<void>;
}

export async function startKubeSide(
  config: AgentConfig,
  log: Logger,
  env: NodeJS.ProcessEnv,
  deps: { state: NodeState; runtime: RuntimeHandle; quota: QuotaTracker },
): Promise<KubeSide | undefined> {
  if (config.kube.enabled === false) return undefined;
  const connection = await loadKubeConnection({
    env,
    ...(config.kube.kubeconfig !== undefined ? { kubeconfig: config.kube.kubeconfig } : {}),
    ...(config.kube.context !== undefined ? { context: config.kube.context } : {}),
  });
  if (connection === undefined) {
    if (config.kube.enabled === true) {
      throw new Error(
        "kube.enabled is true, but there is no Kubernetes API to use: set KUBECONFIG or kube.kubeconfig, or run the agent in a pod (KUBERNETES_SERVICE_HOST)",
      );
    }
    log.info("pod watch off: not running in a pod and KUBECONFIG is not set (set kube.kubeconfig to watch pods from outside the cluster)");
    return undefined;
  }
  const nodeName = config.nodeName ?? "unknown";
  const api = createKubeApi(connection, {
    log: (level, message) => log[level](`kube: ${message}`),
  });
  const { state, runtime, quota } = deps;
  const watch = new PodWatch({
    api,
    nodeName,
    hostsDir: config.hostsDir ?? "",
    platform: nodePlatform(),
    log,
    readSecrets: config.kube.readSecrets,
    postEvents: config.kube.events,
    dedupeWindowMs: config.kube.dedupeWindow,
    diagnoseTimeoutMs: config.kube.diagnoseTimeout,
    // Every diagnosis is made from the runtime's view, and names the hosts dir the runtime reads.
    diagnose: async (opts) => {
      const vantage = await runtime.view();
      return diagnoseImage({ ...opts, vantage, hostsDir: config.hostsDir ?? viewHostsDir(vantage) });
    },
    vantage: () => runtime.view(),
    runtime: async () => {
      try {
        return { runtime: nodeRuntimeFrom(await runtime.get()) };
      } catch (err) {
        return { why: `no container runtime reachable (${err instanceof Error ? err.message : String(err)})` };
      }
    },
    containerdVersion: () => runtime.containerdVersion(),
    onRateLimit: (r) => quota.recordRateLimit(r, "pull"),
  });
  state.provide("pods", () => watch.snapshot());
  const conditions = config.kube.conditions ? new NodeConditionWriter(api, nodeName, log) : undefined;
  if (conditions)
    state.provide("conditions", () => ({ conditions: conditions.conditions(), ...(conditions.lastError ? { error: conditions.lastError } : {}) }));
  log.info(`pod watch: ${connection.source}, server ${connection.server}, node ${nodeName}${config.kube.readSecrets ? ", reading pull Secrets" : ""}`);

  return {
    api,
    watch,
    start: () => watch.start(),
    conditions: () => conditions?.conditions() ?? [],
    conditionsChanged: async () => {
      if (conditions === undefined) return;
      const disk = state.get("disk");
      const wanted: WantedCondition[] = [
        { type: IMAGE_FS_PRESSURE, ...imageFsPressureCondition(disk?.ok ? state.result("disk") : undefined, config.kube.imageFsPressurePercent) },
      ];
      if (config.probes.enabled) wanted.push({ type: REGISTRY_UNREACHABLE, ...registryUnreachableCondition(state.result("probes")) });
      await conditions.update(wanted);
    },
    stop: async () => {
      // Diagnoses in flight may wait on slow registries; shutdown does not wait past its bound.
      await Promise.race([watch.stop(), new Promise((resolve) => setTimeout(resolve, config.shutdownTimeout).unref())]);
      await api.close();
    },
  };
}
