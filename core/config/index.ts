// Configuration layering (file, environment, flags) with issues worded for a person; the agent
// and the aggregator each bring their own schema.
export { describeIssues, duration, LISTEN, layerSources } from "./layers.js";
export { ConfigError, type Plain } from "./problems.js";
