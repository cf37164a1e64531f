// How pullmedic reads and writes durations, sizes, tables and near-misses: pure text, no I/O.
export * from "./duration.js";
export * from "./edit-distance.js";
export * from "./format.js";
