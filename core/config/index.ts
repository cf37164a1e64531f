// Configuration layering (file, environment, flags) with issues worded for a person; the agent
// and the aggregator each bring their own schema.
export type { Layered, Plain } from "./layers.js";
export { ConfigError, describeIssues, duration, LISTEN, layerSources, readConfigFile } from "./layers.js";
