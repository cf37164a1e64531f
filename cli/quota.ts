import {
  checkDockerHubQuota,
  describeQuota,
  describeQuotaFailure,
  describeWindow,
  QUOTA_CHECK_REFERENCE,
  QUOTA_CHECK_REPOSITORY,
  type QuotaCredential,
  QuotaError,
  type QuotaReading,
  quotaCredential,
} from "../agent/quota/index.js";
import { CredentialError, describeCredential, parseDockerConfigJson, type RegistryCredential, RegistryError } from "../agent/registry/index.js";
import { RuntimeClient } from "../agent/runtime/index.js";
import type { RuntimeView } from "../agent/vantage/index.js";
import { DOCKER_HUB_REGISTRY_URL } from "../core/image/index.js";
import { formatDuration } from "../core/text/index.js";
import { DEFAULT_TIMEOUT_SECONDS } from "./defaults.js";
import { EXIT_OK, EXIT_PROBLEM, UsageError } from "./errors.js";
import { readFlagFile } from "./flag-file.js";
import type { VerbResult } from "./result.js";
import { parseTimeoutSeconds } from "./runtime-options.js";
import { viewFor } from "./vantage.js";

export interface QuotaFlags {
  criEndpoint?: string;
  dockerConfig?: string;
  registryUrl?: string;
  timeout: string;
  json?: boolean;
}

/** Which credential the check uses, and what a person should know about that choice. */
interface CredentialChoice {
  credential?: RegistryCredential;
  /** e.g. `key "index.docker.io" from --docker-config ./c.json, user "bob"`; never the password. */
  described?: string;
  note: string;
}

export async function quotaVerb(flags: QuotaFlags, env: NodeJS.ProcessEnv = {}, clock: () => number = Date.now): Promise<VerbResult> {
  const timeoutMs = parseTimeoutSeconds(flags.timeout) ?? DEFAULT_TIMEOUT_SECONDS * 1000;
  const registryUrl = checkRegistryUrl(flags.registryUrl ?? DOCKER_HUB_REGISTRY_URL);
  const choice = await chooseCredential(flags.dockerConfig);
  // Docker Hub is asked as the node's runtime asks it: its trust store, resolver and proxy.
  const network = (await nodeView(flags, env, timeoutMs)).network;
  let reading: QuotaReading;
  try {
    reading = await checkDockerHubQuota({ registryUrl, timeoutMs, now: clock, network, ...(choice.credential ? { credential: choice.credential } : {}) });
  } catch (err) {
    if (err instanceof QuotaError && err.kind === "bad-options") throw new UsageError(err.message);
    return failure(err, choice, registryUrl);
  }
  const usable = reading.unlimited || (reading.remaining ?? 0) > 0;
  return {
    exitCode: usable ? EXIT_OK : EXIT_PROBLEM,
    json: { ...readingJson(reading), credential: choice.described ?? null },
    text: readingText(reading, choice, registryUrl, clock()),
  };
}

async function nodeView(flags: QuotaFlags, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RuntimeView> {
  const client = await RuntimeClient.connect({ endpoint: flags.criEndpoint, envEndpoint: env["CRI_ENDPOINT"], timeoutMs }).catch((err: unknown) => {
    if (flags.criEndpoint !== undefined) throw err;
    return undefined;
  });
  try {
    return await viewFor(client, {});
  } finally {
    client?.close();
  }
}

/** The reading with every field present: null says "not given" where JSON would drop undefined. */
function readingJson(r: QuotaReading): Record<string, unknown> {
  return {
    source: r.source ?? null,
    limit: r.limit ?? null,
    remaining: r.remaining ?? null,
    windowSeconds: r.windowSeconds ?? null,
    unlimited: r.unlimited,
    authenticated: r.authenticated,
    observedAt: r.observedAt,
    via: r.via,
    problems: r.problems,
  };
}

function readingText(r: QuotaReading, choice: CredentialChoice, registryUrl: string, now: number): string {
  const lines = [`Docker Hub pull quota, from a HEAD of ${QUOTA_CHECK_REPOSITORY}:${QUOTA_CHECK_REFERENCE} at ${registryUrl} (a HEAD uses no pull)`];
  const row = (label: string, value: string): void => void lines.push(`  ${`${label}:`.padEnd(11)} ${value}`);
  if (r.unlimited) {
    row("remaining", "unlimited: Docker Hub sent no quota headers, so it does not count these pulls");
  } else {
    row("remaining", r.remaining === undefined ? "not readable" : String(r.remaining));
    row("limit", r.limit === undefined ? "not readable" : String(r.limit));
    row(
      "window",
      r.windowSeconds === undefined
        ? `not given; ${describeWindow(undefined)}`
        : `${formatDuration(r.windowSeconds * 1000)}, sliding: ${describeWindow(r.windowSeconds)}`,
    );
  }
  row("source", r.source === undefined ? "not given" : `${r.source} (what the quota is counted against: an IP address, an IPv6 /64 or an account)`);
  row("account", r.authenticated ? `authenticated with ${choice.described ?? "the configured credential"}` : `anonymous (${choice.note})`);
  for (const p of r.problems) row("problem", p);
  lines.push("", describeQuota(r, now));
  if (!r.unlimited && r.remaining === undefined) lines.push("The remaining count cannot be read, so this check cannot say that pulls will work.");
  return `${lines.join("\n")}\n`;
}

function failure(err: unknown, choice: CredentialChoice, registryUrl: string): VerbResult {
  const cause = describeQuotaFailure(err, choice.described ? { credential: choice.described } : {});
  const error: Record<string, unknown> = {
    kind: err instanceof RegistryError ? "registry" : err instanceof QuotaError ? err.kind : "internal",
    message: cause,
  };
  if (err instanceof RegistryError) Object.assign(error, { step: err.step, status: err.status ?? null, credentialSent: err.credentialSent });
  return {
    exitCode: EXIT_PROBLEM,
    json: { error, credential: choice.described ?? null },
    text: `The Docker Hub quota check at ${registryUrl} failed.\n  cause:   ${cause}\n  account: ${choice.described ?? `anonymous (${choice.note})`}\n`,
  };
}

/** The check itself would refuse these, but as a confusing error after a network round; here they are bad usage. */
function checkRegistryUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--registry-url ${JSON.stringify(raw.replace(/\/\/[^/@]*@/, "//"))} is not a URL; expected e.g. ${DOCKER_HUB_REGISTRY_URL}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UsageError(`--registry-url must be http:// or https://, got ${url.protocol}`);
  if (url.username !== "" || url.password !== "") throw new UsageError("--registry-url must not contain credentials; pass them with --docker-config");
  if (url.search !== "" || url.hash !== "") throw new UsageError("--registry-url must not have a query or fragment");
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * The entry kubelet would use for a docker.io image. Only username and password count: kubelet
 * hands the runtime nothing else (docs/facts/kubelet.md), so a token-only entry pulls anonymously
 * and the anonymous quota is the one those pulls spend.
 */
async function chooseCredential(file: string | undefined): Promise<CredentialChoice> {
  if (file === undefined) return { note: "no --docker-config given" };
  const text = await readFlagFile("--docker-config", file);
  let chosen: QuotaCredential | undefined;
  try {
    const config = parseDockerConfigJson(text, `--docker-config ${file}`);
    chosen = quotaCredential(config);
  } catch (err) {
    if (err instanceof CredentialError) throw new UsageError(err.message);
    throw err;
  }
  if (chosen === undefined) return { note: `--docker-config ${file} has no entry for docker.io` };
  const described = describeCredential(chosen.entry);
  const credential = chosen.credential;
  if (credential === undefined) {
    return { note: `${described}: no username or password, and kubelet passes the runtime nothing else` };
  }
  // Only shown when the registry took no credential at all (a stand-in without auth).
  return { credential, described, note: `the registry asked for no credentials, so ${described} was not used` };
}
