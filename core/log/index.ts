// The one logger both services and the CLI write through; credentials are redacted on the way out.
export type { Logger, LogLevel } from "./log.js";
export { createLogger, LOG_LEVELS, logger, redactStrings, redactText, setLogger } from "./log.js";
export { LogRepeats } from "./repeat.js";
export { forgetSecrets, rememberBasicAuth, rememberSecret, rememberUrlCredentials, scrubSecrets } from "./secrets.js";
export { escapeC1InJson, stripControlCharacters } from "./terminal.js";
