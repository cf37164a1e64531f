// Configuration layering (file, environment, flags) with issues worded for a person; the agent
// and the aggregator each bring their own schema.
export * from "./file.js";
export * from "./layers.js";
export * from "./problems.js";
