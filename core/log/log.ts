import type winston from "winston";
import { lazyModule } from "../process/index.js";
import { scrubSecrets } from "./secrets.js";
import { stripControlCharacters } from "./terminal.js";

export type LogMode = "daemon" | "cli";
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Field names whose values are credentials wherever they appear in a log record. */
const SECRET_KEYS =
  /^(password|passwd|auth|token|identitytoken|registrytoken|authorization|secret|bearer|accesstoken|refreshtoken|dockerconfigjson|\.dockerconfigjson)$/i;
/** Credentials embedded in free text: Authorization headers and user:password@ in URLs. */
const SECRET_TEXT: [RegExp, string][] = [
  [/\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]{6,}/g, "$1 [REDACTED]"],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, "$1[REDACTED]@"],
];

/** Credentials in known shapes, then every credential value this process has loaded (secrets.ts). */
export function redactText(text: string): string {
  return scrubSecrets(SECRET_TEXT.reduce((t, [re, by]) => t.replace(re, by), text));
}

/** Deep copy with credential fields replaced; bounded depth so a cyclic object cannot hang us. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return redactText(value.message);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? "[REDACTED]" : redact(v, depth + 1);
  return out;
}

/**
 * Deep copy with every string redacted as text; keys and the shape stay as they are. For answers
 * printed whole (the CLI's JSON), where a field named "secret" holds a Secret's name, not its value.
 */
export function redactStrings(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  // Buffers, dates, class instances: copied as they are (a byte array is not text to scrub).
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  // Deeper than any answer of ours: text is all that can be checked there.
  if (depth > 64) return redactText(JSON.stringify(value) ?? "");
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactStrings(v, depth + 1);
  return out;
}

/** The calls the rest of pullmedic makes; winston stays behind it. */
export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** winston costs ~50 ms to load; a CLI run that logs nothing should not pay it. */
const loadWinston = lazyModule<typeof winston>("winston");

function buildWinston(mode: LogMode, level: LogLevel, stream: NodeJS.WritableStream | undefined): winston.Logger {
  const w = loadWinston();
  const redactFormat = w.format((info) => {
    for (const key of Object.keys(info)) {
      info[key] = SECRET_KEYS.test(key) ? "[REDACTED]" : redact(info[key]);
    }
    return info;
  });
  const format =
    mode === "daemon"
      ? w.format.combine(redactFormat(), w.format.timestamp(), w.format.json())
      : w.format.combine(
          redactFormat(),
          w.format.printf((info) => {
            const { level: lvl, message, ...rest } = info;
            const fields = Object.entries(rest)
              .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
              .join(" ");
            // Text mode is for a terminal: what came from outside must not drive it.
            return stripControlCharacters(`pullmedic ${lvl}: ${String(message)}${fields ? ` (${fields})` : ""}`);
          }),
        );
  const transport = stream ? new w.transports.Stream({ stream }) : new w.transports.Console(mode === "cli" ? { stderrLevels: [...LOG_LEVELS] } : {});
  return w.createLogger({ level, format, transports: [transport] });
}

/**
 * Daemon mode writes JSON lines to stdout for log collectors; the CLI writes short text to
 * stderr so stdout stays clean for `--json`. Every record is redacted before it is written.
 */
export function createLogger(mode: LogMode, level: LogLevel = mode === "cli" ? "warn" : "info", stream?: NodeJS.WritableStream): Logger {
  let w: winston.Logger | undefined;
  const emit =
    (lvl: LogLevel) =>
    (message: string, meta: Record<string, unknown> = {}) => {
      if (RANK[lvl] > RANK[level]) return;
      w ??= buildWinston(mode, level, stream);
      w.log(lvl, message, meta);
    };
  return { error: emit("error"), warn: emit("warn"), info: emit("info"), debug: emit("debug") };
}

let current: Logger | undefined;

/** The process's logger; the CLI and the daemon each set it once at start. */
export function logger(): Logger {
  current ??= createLogger("cli");
  return current;
}

export function setLogger(log: Logger): void {
  current = log;
}
