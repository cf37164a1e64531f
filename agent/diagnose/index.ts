// The diagnosis room: message rules (explain) and the probe pipeline (diagnose).
export * from "./causes.js";
export * from "./classify.js";
export * from "./explain.js";
export { MESSAGE_RULES } from "./rules.js";
export type { MessageRule, CredentialSignal } from "./rules.js";
export { MESSAGE_HINTS } from "./hints.js";
export type { MessageHint } from "./hints.js";
export type { ChainSignals } from "./signals.js";
export { diagnoseImage } from "./pipeline.js";
export type { Diagnosis, DiagnoseOptions, NodeRuntime } from "./pipeline.js";
export { nodeRuntimeFrom, authConfigFor } from "./node-runtime.js";
export type { Evidence, DiagnosisStep } from "./evidence.js";
export type { DiagnosisFacts } from "./facts.js";
export { fixCommands, withTag } from "./fixes.js";
export { closestTags } from "./suggest.js";
export { explainPaste, readPaste, MAX_PASTE_CHARS } from "./paste/index.js";
export type { PasteExplanation, PasteOptions, PasteSource } from "./paste/index.js";
export { explainCoverage, coverageHolds } from "./coverage.js";
export type { CoverageReport } from "./coverage.js";
export {
  parseCredentialProviderConfig,
  providerCoverage,
  providerFor,
  readCredentialProviderSetup,
  readKubeletProviderFlags,
  ProviderConfigError,
} from "./credential-provider/index.js";
export type { CredentialProviderConfig, ProviderCoverage, ProviderFs, ProviderSetup } from "./credential-provider/index.js";
