// The diagnosis room: message rules (explain) and the probe pipeline (diagnose).
export * from "./causes.js";
export * from "./classify.js";
export * from "./explain.js";
export { MESSAGE_RULES } from "./rules.js";
export type { MessageRule } from "./rules.js";
export { diagnoseImage } from "./pipeline.js";
export { formatDuration } from "./duration.js";
export type { Diagnosis, DiagnoseOptions, NodeRuntime } from "./pipeline.js";
export { nodeRuntimeFrom, authConfigFor } from "./node-runtime.js";
export type { Evidence, CheckName } from "./evidence.js";
export type { DiagnosisFacts } from "./facts.js";
export { fixCommands, withTag } from "./fixes.js";
export { closestTags } from "./suggest.js";
