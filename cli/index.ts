export { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, UsageError } from "./errors.js";
export { buildProgram, main } from "./program.js";
export type { VerbResult } from "./result.js";
