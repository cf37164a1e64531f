export type { ConfigSources } from "./load.js";
export { ENV_KEYS, loadConfig } from "./load.js";
export type { AgentConfig, AgentConfigInput } from "./schema.js";
export { configSchema } from "./schema.js";
