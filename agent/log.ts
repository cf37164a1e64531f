import winston from "winston";

export type LogMode = "daemon" | "cli";
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Field names whose values are credentials wherever they appear in a log record. */
const SECRET_KEYS = /^(password|passwd|auth|token|identitytoken|registrytoken|authorization|secret|bearer|accesstoken|refreshtoken|dockerconfigjson|\.dockerconfigjson)$/i;
/** Credentials embedded in free text: Authorization headers and user:password@ in URLs. */
const SECRET_TEXT: [RegExp, string][] = [
  [/\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]{6,}/g, "$1 [REDACTED]"],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, "$1[REDACTED]@"],
];

export function redactText(text: string): string {
  return SECRET_TEXT.reduce((t, [re, by]) => t.replace(re, by), text);
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

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    info[key] = SECRET_KEYS.test(key) ? "[REDACTED]" : redact(info[key]);
  }
  return info;
});

/**
 * Daemon mode writes JSON lines to stdout for log collectors; the CLI writes short text to
 * stderr so stdout stays clean for `--json`.
 */
export function createLogger(mode: LogMode, level: LogLevel = mode === "cli" ? "warn" : "info"): winston.Logger {
  if (mode === "daemon") {
    return winston.createLogger({
      level,
      format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()),
      transports: [new winston.transports.Console()],
    });
  }
  return winston.createLogger({
    level,
    format: winston.format.combine(
      redactFormat(),
      winston.format.printf((info) => {
        const { level: lvl, message, ...rest } = info;
        const fields = Object.entries(rest)
          .filter(([k]) => typeof k === "string")
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" ");
        return `pullmedic ${lvl}: ${String(message)}${fields ? ` (${fields})` : ""}`;
      }),
    ),
    transports: [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
  });
}

export type Logger = winston.Logger;

let current: winston.Logger | undefined;

/** The process's logger; the CLI and the daemon each set it once at start. */
export function logger(): winston.Logger {
  current ??= createLogger("cli");
  return current;
}

export function setLogger(log: winston.Logger): void {
  current = log;
}
