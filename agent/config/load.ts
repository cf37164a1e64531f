import { hostname } from "node:os";
import { ConfigError, describeIssues, layerSources } from "../../core/config/index.js";
import { type AgentConfig, configSchema } from "./schema.js";

/** Environment variables a DaemonSet sets (NODE_NAME from the downward API) and their keys. */
const ENV_KEYS: Record<string, string> = {
  NODE_NAME: "nodeName",
  CRI_ENDPOINT: "criEndpoint",
  PULLMEDIC_HOSTS_DIR: "hostsDir",
  PULLMEDIC_STATE_FILE: "stateFile",
  PULLMEDIC_LISTEN: "listen",
  PULLMEDIC_HTTP_AUTH: "httpAuth",
  PULLMEDIC_LOG_LEVEL: "logLevel",
  PULLMEDIC_LOG_FORMAT: "logFormat",
  PULLMEDIC_AGGREGATOR: "report.aggregator",
  PULLMEDIC_TOKEN_FILE: "report.tokenFile",
  PULLMEDIC_AGGREGATOR_CA_FILE: "report.caFile",
};

export interface ConfigSources {
  /** --config, else PULLMEDIC_CONFIG; no file means defaults. */
  file?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Flags, keyed like the config ("listen", "criEndpoint"); undefined values are ignored. */
  flags?: Record<string, string | undefined>;
}

/**
 * Defaults ← file ← environment ← flags, validated as one. Any problem stops the agent before it
 * starts, with every problem listed.
 */
export async function loadConfig(sources: ConfigSources): Promise<AgentConfig> {
  const file = sources.file ?? sources.env["PULLMEDIC_CONFIG"];
  const { raw, where } = await layerSources({ file, env: sources.env, envKeys: ENV_KEYS, flags: sources.flags });
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, configSchema, where));
  const config = parsed.data;
  config.nodeName ??= hostname();
  return config;
}
