// Reading files we were pointed at, safely: regular files only, bounded in size and time.

export { FileReadError, readRegularFile, readTextFile } from "./read-file.js";
