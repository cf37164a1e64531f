// Reading a configuration file as YAML, as untrusted input: a bounded regular file, aliases that
// cannot expand without end, and duplicate keys found in one pass however many keys there are.

import type * as Yaml from "yaml";
import { readTextFile } from "../fs/index.js";
import { lazyModule } from "../process/index.js";
import { ConfigError, type Plain } from "./problems.js";

const yaml = lazyModule<typeof Yaml>("yaml");

/** A configuration is a few kilobytes; a megabyte is already a mistake (or /dev/zero). */
const CONFIG_FILE_MAX_BYTES = 1024 * 1024;
/**
 * An alias expanding into aliases doubles the document at each level (the YAML "billion laughs");
 * a configuration needs a handful. yaml counts every node an alias brings in against this.
 */
const MAX_ALIAS_COUNT = 100;

export async function readConfigFile(path: string): Promise<Plain> {
  let text: string;
  try {
    text = await readTextFile(path, { maxBytes: CONFIG_FILE_MAX_BYTES });
  } catch (err) {
    throw new ConfigError([`cannot read config file ${(err as Error).message}`]);
  }
  const lineCounter = new (yaml().LineCounter)();
  // uniqueKeys: yaml's own check compares each key with every key before it (100,000 keys took
  // minutes); duplicateKeys below does it with a set per mapping.
  const doc = yaml().parseDocument(text, { prettyErrors: false, uniqueKeys: false, lineCounter });
  const errors = doc.errors.map((e) => `${path}: ${e.message.split("\n")[0]}${e.linePos ? ` (line ${e.linePos[0].line})` : ""}`);
  if (errors.length === 0) errors.push(...duplicateKeys(doc, lineCounter).map((d) => `${path}: ${d}`));
  if (errors.length) throw new ConfigError(errors.slice(0, 3));
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // yaml throws a ReferenceError when aliases expand past the count, and for an alias to nothing.
    throw new ConfigError([`${path}: ${(err as Error).message} (aliases may expand to at most ${MAX_ALIAS_COUNT} nodes)`]);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new ConfigError([`${path}: the top level must be a mapping of keys, not ${Array.isArray(value) ? "a list" : typeof value}`]);
  return value as Plain;
}

/** Keys written twice in one mapping, with their line, in file order. */
function duplicateKeys(doc: Yaml.Document, lines: Yaml.LineCounter): string[] {
  const { visit, isScalar } = yaml();
  const found: { line: number; text: string }[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = pair.key;
        const name = isScalar(key) ? String(key.value) : String(key);
        if (!seen.has(name)) {
          seen.add(name);
          continue;
        }
        const offset = (key as { range?: [number, number, number] } | null)?.range?.[0];
        const line = offset === undefined ? 0 : lines.linePos(offset).line;
        found.push({ line, text: `Map keys must be unique: ${JSON.stringify(name)} is written twice${line ? ` (line ${line})` : ""}` });
      }
    },
  });
  return found.sort((a, b) => a.line - b.line).map((f) => f.text);
}
