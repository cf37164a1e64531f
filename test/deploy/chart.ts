// The Helm chart as the tests and `npm run manifest` drive it: helm template with Helm 3 or 4
// (test/support/layer-tools.ts), values given as a file, and daemonset.yaml as the render with
// the defaults under a header of its own.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HelmMajor, layerTool } from "../support/layer-tools.js";
import { repoRoot } from "./manifest.js";

export const chartDir = join(repoRoot, "charts", "pullmedic");
export const valuesSchemaPath = join(chartDir, "values.schema.json");

export interface HelmRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function helm(major: HelmMajor, args: string[]): HelmRun {
  // No repository cache or config of the developer's: the chart needs neither.
  const home = mkdtempSync(join(tmpdir(), "pm-helm-"));
  try {
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      HELM_CACHE_HOME: join(home, "cache"),
      HELM_CONFIG_HOME: join(home, "config"),
      HELM_DATA_HOME: join(home, "data"),
    };
    const r = spawnSync(layerTool("helm", major), args, { encoding: "utf8", env, maxBuffer: 64 << 20 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr || (r.error?.message ?? "") };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export interface TemplateOptions {
  values?: Record<string, unknown>;
  /** Hooks (the uninstall cleanup Job) are Helm's alone: daemonset.yaml leaves them out. */
  noHooks?: boolean;
  release?: string;
  namespace?: string;
  /** The cluster's version as Helm would learn it from the API server (--kube-version). */
  kubeVersion?: string;
}

/** `helm template`; with `values`, they are passed as a file (-f), as a user would. */
export function helmTemplateRun(major: HelmMajor, opts: TemplateOptions = {}): HelmRun {
  const dir = mkdtempSync(join(tmpdir(), "pm-values-"));
  try {
    const args = ["template", opts.release ?? "pullmedic", chartDir, "--namespace", opts.namespace ?? "pullmedic"];
    if (opts.noHooks) args.push("--no-hooks");
    if (opts.kubeVersion) args.push("--kube-version", opts.kubeVersion);
    if (opts.values) {
      writeFileSync(join(dir, "values.json"), JSON.stringify(opts.values));
      args.push("-f", join(dir, "values.json"));
    }
    return helm(major, args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function helmTemplate(major: HelmMajor, opts: TemplateOptions = {}): string {
  const r = helmTemplateRun(major, opts);
  if (r.status !== 0) throw new Error(`helm ${major} template failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
}

const MANIFEST_HEADER = `# pullmedic on a cluster without Helm: one \`kubectl apply -f daemonset.yaml\` after building and
# pushing the image (see README, "Install on a cluster").
#
# GENERATED: this is charts/pullmedic rendered with its default values (helm template pullmedic
# charts/pullmedic --namespace pullmedic --no-hooks), written by \`npm run manifest\`. Edit the chart,
# then run it again; a test fails while the two differ.
#
# Before applying, replace one placeholder:
#   registry.example.com/pullmedic:0.1.0   the image you pushed (both workloads run the same image)
# Nothing here is a credential: each agent presents its own projected service-account token, and
# the aggregator makes its TLS CA and certificate at its first start, in the empty Secret below,
# and publishes the CA in the empty ConfigMap pullmedic-aggregator-ca for the agents.
#
# What is here, in apply order: the namespace; the service accounts; the aggregator's (empty) TLS
# Secret; the agent's and the aggregator's configuration and the (empty) CA ConfigMap; the
# aggregator's PersistentVolumeClaim; the RBAC (the agent's pod watch, both servers' token and
# access reviews, the aggregator's Role on its TLS Secret and CA ConfigMap, plus an opt-in role
# for reading pull Secrets, not bound unless you choose to); the aggregator's Service; the agent
# DaemonSet; the aggregator's Deployment.
# The runtime paths are containerd's defaults. For k3s, RKE2, MicroK8s, k0s or CRI-O, render the
# chart with its preset instead, which sets CRI_ENDPOINT and the two runtime hostPath volumes
# together, e.g.:
#   helm template pullmedic charts/pullmedic -n pullmedic --no-hooks --set runtime.preset=k3s > daemonset.yaml
`;

/** daemonset.yaml as `npm run manifest` writes it. */
export function renderManifest(major: HelmMajor = 4): string {
  return MANIFEST_HEADER + helmTemplate(major, { noHooks: true });
}
