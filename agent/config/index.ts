export { loadConfig } from "./load.js";
export type { AgentConfig } from "./schema.js";
