// Reading files we were pointed at, safely: regular files only, bounded in size and time.

export type { FileProblem, ReadFileOptions } from "./read-file.js";
export { FileReadError, readRegularFile, readTextFile } from "./read-file.js";
