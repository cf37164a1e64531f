// The one logger both services and the CLI write through; credentials are redacted on the way out.
export * from "./log.js";
export { DEFAULT_REPEAT_WINDOW_MS, LogRepeats, type LogRepeatsOptions } from "./repeat.js";
