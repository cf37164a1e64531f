import {
  type HostProbe,
  type HostProbeStep,
  type ProbeStepName,
  probeRegistries,
  type RegistryProbe,
  registriesOfImages,
  registryDomain,
} from "../agent/probe/index.js";
import { RuntimeClient } from "../agent/runtime/index.js";
import { type RuntimeView, vantageData, viewHostsDir } from "../agent/vantage/index.js";
import { table } from "../core/text/index.js";
import { DEFAULT_TIMEOUT_SECONDS } from "./defaults.js";
import { EXIT_OK, EXIT_PROBLEM, UsageError } from "./errors.js";
import type { VerbResult } from "./result.js";
import { parseTimeoutSeconds } from "./runtime-options.js";
import { viewFor } from "./vantage.js";

export interface ProbeFlags {
  hostsDir?: string;
  hostRoot?: string;
  criEndpoint?: string;
  timeout: string;
  json?: boolean;
}

export async function probeVerb(registries: string[], flags: ProbeFlags, env: NodeJS.ProcessEnv): Promise<VerbResult> {
  const timeoutMs = parseTimeoutSeconds(flags.timeout) ?? DEFAULT_TIMEOUT_SECONDS * 1000;
  const named = namedRegistries(registries);
  const node = await nodeFacts(flags, env, timeoutMs, named.length === 0);
  const domains = named.length > 0 ? named : registriesOfImages(node.refs);
  const vantage = node.vantage;
  const probes = await probeRegistries(domains, {
    hostsDir: flags.hostsDir ?? viewHostsDir(vantage),
    vantage,
    timeoutMs,
    ...(node.containerdVersion !== undefined ? { containerdVersion: node.containerdVersion } : {}),
  });
  const healthy = probes.every((p) => p.ok);
  const data = vantageData(vantage);
  return {
    exitCode: healthy ? EXIT_OK : EXIT_PROBLEM,
    json: { registries: probes, vantage: data },
    text: `${probeText(probes, named.length === 0)}\nvantage: ${data.line}\n`,
  };
}

function namedRegistries(args: string[]): string[] {
  const domains: string[] = [];
  for (const arg of args) {
    const domain = registryDomain(arg);
    if (domain instanceof Error) throw new UsageError(domain.message);
    if (!domains.includes(domain)) domains.push(domain);
  }
  return domains;
}

/**
 * The images on the node (needed when no registry is named) and containerd's version (its
 * hosts.toml defaults differ across releases). With registries named, a runtime is optional
 * unless --cri-endpoint asks for one.
 */
async function nodeFacts(
  flags: ProbeFlags,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  needImages: boolean,
): Promise<{ refs: string[]; containerdVersion?: string; vantage: RuntimeView }> {
  let client: RuntimeClient | undefined;
  try {
    client = await RuntimeClient.connect({ endpoint: flags.criEndpoint, envEndpoint: env["CRI_ENDPOINT"], timeoutMs });
    const [version, images] = await Promise.all([client.version(), needImages ? client.listImages() : Promise.resolve([])]);
    const refs = images.flatMap((i) => [...i.repoTags, ...i.repoDigests]);
    const vantage = await viewFor(client, flags);
    return { refs, vantage, ...(version.runtimeName === "containerd" ? { containerdVersion: version.runtimeVersion } : {}) };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (needImages) {
      throw new UsageError(
        `no registries named and no container runtime reachable to list the node's images (${why}): name the registries, e.g. pullmedic probe docker.io ghcr.io, or point at a runtime with --cri-endpoint`,
      );
    }
    if (flags.criEndpoint) throw err;
    return { refs: [], vantage: await viewFor(undefined, flags) };
  } finally {
    client?.close();
  }
}

const STEP_COLUMNS: ProbeStepName[] = ["dns", "tcp", "tls", "ping"];

export function probeText(probes: RegistryProbe[], fromNode: boolean): string {
  if (probes.length === 0) return fromNode ? "no image on this node names a registry; nothing to probe\n" : "no registries to probe\n";
  const rows: string[][] = [];
  for (const p of probes) {
    if (p.hosts.length === 0) rows.push([p.registry, "-", "", "", "", "", ""]);
    p.hosts.forEach((h, i) => {
      rows.push([i === 0 ? p.registry : "", `${h.url}${h.mirror ? " (mirror)" : ""}`, ...STEP_COLUMNS.map((s) => stepCell(h, s)), certCell(h)]);
    });
  }
  const lines = [table(["REGISTRY", "HOST", "DNS", "TCP", "TLS", "/v2/", "CERT"], rows)];
  const problems = probes.filter((p) => !p.ok).map((p) => `  ${p.registry}: ${problemText(p)}`);
  const warnings = probes.flatMap((p) => p.warnings.map((w) => `  ${p.registry}: ${w}`));
  if (problems.length > 0) lines.push("", "problems:", ...problems);
  if (warnings.length > 0) lines.push("", "warnings:", ...warnings);
  const healthy = probes.filter((p) => p.ok).length;
  lines.push("", `${healthy} of ${probes.length} registr${probes.length === 1 ? "y" : "ies"} reachable`);
  return `${lines.join("\n")}\n`;
}

// A cell is the step's time when it passed, its failure kind when it failed, "-" when it did not run.
function stepCell(h: HostProbe, name: ProbeStepName): string {
  const step: HostProbeStep | undefined = h.steps.find((s) => s.step === name);
  if (step === undefined) return "-";
  if (!step.ok) return name === "ping" && step.errorKind === "http" && h.status !== undefined ? `x ${h.status}` : `x ${step.errorKind ?? "failed"}`;
  // A passing TLS step without a certificate is containerd's https-first turn ending in plain http.
  if (name === "tls" && h.certificate === undefined) return "http";
  const ms = `${step.ms.toFixed(1)} ms`;
  return name === "ping" && h.status !== undefined ? `${h.status} ${ms}` : ms;
}

function certCell(h: HostProbe): string {
  const c = h.certificate;
  if (c === undefined) return "-";
  return `${c.daysLeft} d${c.expiresSoon ? " !" : ""}`;
}

function problemText(p: RegistryProbe): string {
  if (p.hosts.length === 0) return "no host could be determined to probe (see the warnings)";
  const failures = p.hosts.map((h) => {
    const step = h.steps.find((s) => !s.ok);
    return step ? `${h.url} fails at ${step.step}: ${step.detail}` : `${h.url} did not answer`;
  });
  return `no host answers GET /v2/ — ${failures.join("; ")}`;
}
