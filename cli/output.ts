// -o json|yaml|wide|name, as kubectl users type it, beside the older --json. A verb answers with
// text and a JSON object (VerbResult); the other formats are derived from those: YAML is the same
// object, wide is the verb's wide text when it has one, name lists what the answer is about as
// kind/name lines, taken from the verb's own list or from the first list in its JSON.

import { UsageError } from "./errors.js";
import type { VerbResult } from "./result.js";
import type { OptionSpec } from "./verb.js";

export const OUTPUT_FORMATS = ["json", "yaml", "wide", "name"] as const;
export type OutputFormat = "text" | (typeof OUTPUT_FORMATS)[number];

export const OUTPUT: OptionSpec = {
  flags: "-o, --output <format>",
  description: "print json, yaml, wide (more columns) or name (kind/name lines)",
  choices: OUTPUT_FORMATS,
};

/** The format the flags ask for: -o wins over --json. */
export function outputFormat(flags: Record<string, unknown>): OutputFormat {
  const o = flags["output"];
  if (typeof o === "string" && (OUTPUT_FORMATS as readonly string[]).includes(o)) return o as OutputFormat;
  return flags["json"] === true ? "json" : "text";
}

/** Whether a command line asks for JSON, read before parsing (a failure while parsing still answers in JSON). */
export function argvWantsJson(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === "--json" || a === "-ojson" || a === "--output=json" || ((a === "-o" || a === "--output") && argv[i + 1] === "json"));
}

const NAME_KEYS = ["name", "node", "pod", "image", "ref", "registry", "source", "mountpoint", "id"];

function singular(key: string): string {
  if (key.endsWith("ies")) return `${key.slice(0, -3)}y`;
  return key.endsWith("s") ? key.slice(0, -1) : key;
}

/** kind/name lines from the first list of objects in the answer. */
function derivedNames(json: Record<string, unknown>): string[] | undefined {
  for (const [key, value] of Object.entries(json)) {
    if (!Array.isArray(value) || !value.every((v) => v !== null && typeof v === "object")) continue;
    return value.map((item: Record<string, unknown>) => {
      const tags = item["repoTags"];
      const found = NAME_KEYS.map((k) => item[k]).find((v): v is string => typeof v === "string" && v !== "");
      const name = found ?? (Array.isArray(tags) && typeof tags[0] === "string" ? tags[0] : "?");
      return `${singular(key)}/${name}`;
    });
  }
  return undefined;
}

/** The text to print for `result` in `format`; -o name on an answer that lists nothing is bad usage. */
export async function formatAnswer(result: VerbResult, format: OutputFormat): Promise<string> {
  switch (format) {
    case "text":
      return result.text;
    case "wide":
      return result.wide ?? result.text;
    case "json":
      return `${JSON.stringify(result.json)}\n`;
    case "yaml":
      return (await import("yaml")).stringify(result.json, { lineWidth: 0 });
    case "name": {
      const names = result.names ?? derivedNames(result.json);
      if (names === undefined) throw new UsageError("-o name: this answer lists nothing by name; use -o json or -o yaml");
      return names.map((n) => `${n}\n`).join("");
    }
  }
}
