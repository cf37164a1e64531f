// The diagnosis room: message rules (explain) and the probe pipeline (diagnose).
export type { Cause, FailureCause } from "./causes.js";
export { CAUSE_SUMMARY, CAUSES, isCause } from "./causes.js";
export type { Classification, ClassifyContext, MessageFacts } from "./classify.js";
export { classifyMessage, MAX_MESSAGE_CHARS, normalizeMessage } from "./classify.js";
export type { CoverageReport } from "./coverage.js";
export { coverageHolds, explainCoverage } from "./coverage.js";
export type { CredentialProviderConfig, ProviderCoverage, ProviderFs, ProviderSetup } from "./credential-provider/index.js";
export {
  ProviderConfigError,
  parseCredentialProviderConfig,
  providerCoverage,
  providerFor,
  readCredentialProviderSetup,
  readKubeletProviderFlags,
} from "./credential-provider/index.js";
export type { DiagnosisStep, Evidence } from "./evidence.js";
export type { ExplainContext, Explanation, WorkloadKind, WorkloadNames } from "./explain.js";
export { explainMessage } from "./explain.js";
export type { DiagnosisFacts } from "./facts.js";
export { shellQuote } from "./fix-commands.js";
export { fixCommands, withTag } from "./fixes.js";
export type { MessageHint } from "./hints.js";
export { MESSAGE_HINTS } from "./hints.js";
export { authConfigFor, nodeRuntimeFrom } from "./node-runtime.js";
export type { PasteExplanation, PasteOptions, PasteSource } from "./paste/index.js";
export { explainPaste, MAX_PASTE_CHARS, readPaste } from "./paste/index.js";
export type { DiagnoseOptions, Diagnosis, NodeRuntime } from "./pipeline.js";
export { diagnoseImage } from "./pipeline.js";
export type { CredentialSignal, MessageRule } from "./rules.js";
export { MESSAGE_RULES } from "./rules.js";
export type { ChainSignals } from "./signals.js";
export { closestTags } from "./suggest.js";
