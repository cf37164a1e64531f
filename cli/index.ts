export { buildProgram, main } from "./program.js";
export { UsageError, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE } from "./errors.js";
export type { VerbResult } from "./result.js";
