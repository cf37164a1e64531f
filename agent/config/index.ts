export { loadConfig, ENV_KEYS } from "./load.js";
export type { ConfigSources } from "./load.js";
export { configSchema } from "./schema.js";
export type { AgentConfig, AgentConfigInput } from "./schema.js";
export { parseDuration, formatDurationMs } from "../duration.js";
// The layering itself, for the aggregator's configuration.
export { ConfigError, LISTEN, duration, layerSources, describeIssues } from "./layers.js";
export type { Plain } from "./layers.js";
