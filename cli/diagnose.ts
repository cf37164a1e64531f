import { type Diagnosis, diagnoseImage, type Evidence, type NodeRuntime, nodeRuntimeFrom } from "../agent/diagnose/index.js";
import { CredentialError, type DockerConfig, parseDockerConfigJson, parseSecretManifest } from "../agent/registry/index.js";
import { RuntimeClient } from "../agent/runtime/index.js";
import { vantageLine, viewHostsDir } from "../agent/vantage/index.js";
import { nodePlatform, type Platform, PlatformError, parsePlatform } from "../core/image/index.js";
import { DEFAULT_PULL_DEADLINE_SECONDS, DEFAULT_TIMEOUT_SECONDS } from "./defaults.js";
import { EXIT_OK, EXIT_PROBLEM, UsageError } from "./errors.js";
import { readFlagFile } from "./flag-file.js";
import { withPullBars } from "./pull-bars.js";
import type { VerbResult } from "./result.js";
import { parseTimeoutSeconds } from "./runtime-options.js";
import { viewFor } from "./vantage.js";

export interface DiagnoseFlags {
  dockerConfig?: string;
  secret?: string;
  platform?: string;
  hostsDir?: string;
  hostRoot?: string;
  criEndpoint?: string;
  timeout: string;
  pull?: boolean;
  pullDeadline: string;
  json?: boolean;
}

interface Credentials {
  configs: DockerConfig[];
  secretName?: string;
  secretNamespace?: string;
}

/** A file that cannot be read is bad usage (exit 2); one that reads but is wrong is the diagnosis. */
async function loadCredentials(flags: DiagnoseFlags): Promise<{ credentials?: Credentials; problem?: string }> {
  if (!flags.dockerConfig && !flags.secret) return {};
  const configs: DockerConfig[] = [];
  const out: Credentials = { configs };
  try {
    if (flags.dockerConfig) {
      configs.push(parseDockerConfigJson(await readFlagFile("--docker-config", flags.dockerConfig), `--docker-config ${flags.dockerConfig}`));
    }
    if (flags.secret) {
      const secret = parseSecretManifest(await readFlagFile("--secret", flags.secret), `--secret ${flags.secret}`);
      configs.push(secret);
      if (secret.secretName) out.secretName = secret.secretName;
      if (secret.secretNamespace) out.secretNamespace = secret.secretNamespace;
    }
  } catch (err) {
    if (err instanceof CredentialError) return { problem: err.message };
    throw err;
  }
  return { credentials: out };
}

function platformFrom(flag: string | undefined): Platform {
  if (!flag) return nodePlatform();
  try {
    return parsePlatform(flag);
  } catch (err) {
    if (err instanceof PlatformError) throw new UsageError(`--platform: ${err.message}`);
    throw err;
  }
}

/** The runtime is optional for diagnose: without one, disk and --pull are skipped (or refused). */
async function connectOptional(
  flags: DiagnoseFlags,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ client?: RuntimeClient; runtime?: NodeRuntime; why?: string }> {
  try {
    const client = await RuntimeClient.connect({ endpoint: flags.criEndpoint, envEndpoint: env["CRI_ENDPOINT"], timeoutMs });
    return { client, runtime: nodeRuntimeFrom(client) };
  } catch (err) {
    if (flags.pull || flags.criEndpoint) throw err;
    return { why: `no container runtime reachable (${(err as Error).message})` };
  }
}

export async function diagnoseVerb(image: string, flags: DiagnoseFlags, env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<VerbResult> {
  const timeoutMs = parseTimeoutSeconds(flags.timeout) ?? DEFAULT_TIMEOUT_SECONDS * 1000;
  const pullDeadlineMs = parseTimeoutSeconds(flags.pullDeadline, "--pull-deadline") ?? DEFAULT_PULL_DEADLINE_SECONDS * 1000;
  const platform = platformFrom(flags.platform);
  const { credentials, problem } = await loadCredentials(flags);
  const { client, runtime, why } = await connectOptional(flags, env, timeoutMs);
  try {
    const vantage = await viewFor(client, flags);
    if (!flags.json) {
      progress(`diagnosing ${image} for ${[platform.os, platform.architecture, platform.variant].filter(Boolean).join("/")} from this node\n`);
      progress(`  vantage: ${vantageLine(vantage)}\n`);
      for (const problem of vantage.problems) progress(`  vantage problem: ${problem}\n`);
    }
    // A pull can take minutes: bars show it (a terminal only, never with --json).
    const bars = flags.pull === true && client !== undefined && !flags.json && process.stdout.isTTY === true;
    const run = (say: (text: string) => void) =>
      diagnoseImage({
        image,
        platform,
        hostsDir: flags.hostsDir ?? viewHostsDir(vantage),
        vantage,
        timeoutMs,
        pullDeadlineMs,
        pull: flags.pull ?? false,
        ...(credentials ? { credentials } : {}),
        ...(problem ? { credentialProblem: problem } : {}),
        ...(runtime ? { runtime } : {}),
        ...(why ? { runtimeUnavailable: why } : {}),
        ...(flags.json ? {} : { onEvidence: (e: Evidence) => say(`${evidenceLine(e)}\n`) }),
      });
    const diagnosis = client && bars ? await withPullBars(client, [image], true, progress, run) : await run(progress);
    return {
      exitCode: diagnosis.cause === "ok" ? EXIT_OK : EXIT_PROBLEM,
      json: { ...diagnosis },
      text: diagnosisText(diagnosis),
    };
  } finally {
    client?.close();
  }
}

export function evidenceLine(e: Evidence): string {
  const mark = e.skipped ? "skip" : e.ok ? " ok " : "FAIL";
  const ms = `${e.ms.toFixed(1)} ms`.padStart(10);
  return `  ${mark}  ${e.check.padEnd(10)} ${ms}  ${e.detail}`;
}

export function diagnosisText(d: Diagnosis): string {
  const lines = ["", `cause:   ${d.cause}`, `summary: ${d.summary}`];
  if (d.fix.length) {
    lines.push("fix:");
    for (const f of d.fix) lines.push(...f.split("\n").map((l, i) => `  ${i === 0 ? "$ " : "  "}${l}`));
  }
  return `${lines.join("\n")}\n`;
}
