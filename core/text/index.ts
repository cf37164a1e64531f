// How pullmedic reads and writes durations, sizes, tables and near-misses: pure text, no I/O.
export { formatDuration, formatDurationMs, parseDuration } from "./duration.js";
export { editDistance } from "./edit-distance.js";
export { humanBytes, humanCount, shortId, table } from "./format.js";
