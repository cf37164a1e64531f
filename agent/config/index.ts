export { loadConfig, ENV_KEYS } from "./load.js";
export type { ConfigSources } from "./load.js";
export { configSchema } from "./schema.js";
export type { AgentConfig, AgentConfigInput } from "./schema.js";
