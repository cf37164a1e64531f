// The diagnosis room: message rules (explain) and the probe pipeline (diagnose).
export type { FailureCause } from "./causes.js";
export { coverageHolds, explainCoverage } from "./coverage.js";
export type { Evidence } from "./evidence.js";
export type { Explanation } from "./explain.js";
export { explainMessage } from "./explain.js";
export type { DiagnosisFacts } from "./facts.js";
export { shellQuote } from "./fix-commands.js";
export { fixCommands } from "./fixes.js";
export { authConfigFor, nodeRuntimeFrom } from "./node-runtime.js";
export type { PasteExplanation } from "./paste/index.js";
export { explainPaste } from "./paste/index.js";
export type { DiagnoseOptions, Diagnosis, NodeRuntime } from "./pipeline.js";
export { diagnoseImage } from "./pipeline.js";
