// The one logger both services and the CLI write through; credentials are redacted on the way out.
export * from "./log.js";
