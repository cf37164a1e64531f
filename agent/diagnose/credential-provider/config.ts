import type * as Yaml from "yaml";
import { lazyModule } from "../../../core/process/index.js";

const yaml = lazyModule<typeof Yaml>("yaml");

/**
 * kubelet's CredentialProviderConfig (kubelet.config.k8s.io): which exec plugins supply registry
 * credentials for which images. Only what pullmedic reads; unknown fields are ignored as kubelet's
 * lenient decoders of older versions would.
 */
export interface CredentialProviderConfig {
  apiVersion: string;
  providers: CredentialProvider[];
}

export interface CredentialProvider {
  /** The plugin's executable name under --image-credential-provider-bin-dir. */
  name: string;
  /** Globs over registry host[:port][/path] (see match.ts). */
  matchImages: string[];
  /** The CredentialProviderRequest/Response version the plugin speaks. */
  apiVersion: string;
  args: string[];
  /** Names only: values can be anything the plugin needs and are not ours to repeat. */
  envNames: string[];
  defaultCacheDuration?: string;
}

const CONFIG_API_VERSIONS = ["kubelet.config.k8s.io/v1", "kubelet.config.k8s.io/v1beta1", "kubelet.config.k8s.io/v1alpha1"] as const;
const PLUGIN_API_VERSIONS = [
  "credentialprovider.kubelet.k8s.io/v1",
  "credentialprovider.kubelet.k8s.io/v1beta1",
  "credentialprovider.kubelet.k8s.io/v1alpha1",
] as const;

/** A config that kubelet would refuse, with the file and the field that is wrong. */
export class ProviderConfigError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
  ) {
    super(`${source}: ${reason}`);
    this.name = "ProviderConfigError";
  }
}

const MAX_CONFIG_CHARS = 1024 * 1024;

/** Parses one config file's text (YAML or JSON). Throws ProviderConfigError. */
export function parseCredentialProviderConfig(text: string, source = "credential provider config"): CredentialProviderConfig {
  const fail = (reason: string): never => {
    throw new ProviderConfigError(source, reason);
  };
  if (typeof text !== "string" || text.trim() === "") fail("is empty");
  if (text.length > MAX_CONFIG_CHARS) fail(`is ${text.length} characters; a credential provider config is far smaller`);
  const root = readDocument(text, fail);
  if (root === null || typeof root !== "object" || Array.isArray(root)) return fail("is not a mapping with apiVersion, kind and providers");
  const obj = root as Record<string, unknown>;
  if (obj["kind"] !== "CredentialProviderConfig") fail(`has kind ${JSON.stringify(obj["kind"] ?? null)}; expected CredentialProviderConfig`);
  const apiVersion = obj["apiVersion"];
  if (typeof apiVersion !== "string" || !(CONFIG_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    fail(`has apiVersion ${JSON.stringify(apiVersion ?? null)}; expected one of ${CONFIG_API_VERSIONS.join(", ")}`);
  }
  const providers = obj["providers"];
  if (!Array.isArray(providers) || providers.length === 0) fail("has no providers");
  return { apiVersion: apiVersion as string, providers: (providers as unknown[]).map((p, i) => parseProvider(p, `providers[${i}]`, fail)) };
}

function readDocument(text: string, fail: (reason: string) => never): unknown {
  try {
    if (text.trimStart().startsWith("{")) return JSON.parse(text) as unknown;
    const doc = yaml().parseDocument(text, { prettyErrors: false, uniqueKeys: true, logLevel: "error" });
    if (doc.errors.length > 0) return fail("is not valid YAML");
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    if (err instanceof ProviderConfigError) throw err;
    return fail(text.trimStart().startsWith("{") ? "is not valid JSON" : "is not valid YAML");
  }
}

function parseProvider(raw: unknown, where: string, fail: (reason: string) => never): CredentialProvider {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return fail(`${where} is not a mapping`);
  const p = raw as Record<string, unknown>;
  const name = p["name"];
  // kubelet refuses names that could leave the plugin directory.
  if (typeof name !== "string" || name === "" || name.includes("/") || name.includes("..") || name.includes("\\")) {
    fail(`${where}.name must be a plain executable name`);
  }
  const matchImages = p["matchImages"];
  if (!Array.isArray(matchImages) || matchImages.length === 0 || !matchImages.every((m) => typeof m === "string" && m !== "" && !/[\s]|:\/\//.test(m))) {
    fail(`${where}.matchImages must list registry globs (host[:port][/path], no scheme)`);
  }
  const apiVersion = p["apiVersion"];
  if (typeof apiVersion !== "string" || !(PLUGIN_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    fail(`${where}.apiVersion must be one of ${PLUGIN_API_VERSIONS.join(", ")}`);
  }
  const args = Array.isArray(p["args"]) ? (p["args"] as unknown[]).filter((a): a is string => typeof a === "string") : [];
  const env = Array.isArray(p["env"]) ? (p["env"] as unknown[]) : [];
  const envNames = env.map((e) => (e as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === "string");
  const out: CredentialProvider = { name: name as string, matchImages: matchImages as string[], apiVersion: apiVersion as string, args, envNames };
  if (typeof p["defaultCacheDuration"] === "string") out.defaultCacheDuration = p["defaultCacheDuration"];
  return out;
}

/** Providers of several files (a config directory), in the order kubelet merges them. */
export function mergeConfigs(configs: readonly CredentialProviderConfig[]): CredentialProviderConfig | undefined {
  if (configs.length === 0) return undefined;
  return { apiVersion: configs[0]?.apiVersion ?? CONFIG_API_VERSIONS[0], providers: configs.flatMap((c) => c.providers) };
}
