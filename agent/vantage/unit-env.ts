// With only a mounted node root (--host-root), the runtime's environment is what systemd gives
// it: `Environment=` lines of its unit and drop-ins, where proxies are normally set
// (docs/facts/node-network.md). Later files win, as in systemd (drop-ins in name order after the
// unit). EnvironmentFile= and generators are not followed; the view says so.

import { FileReadError } from "../../core/fs/index.js";
import type { RootFs } from "./root-fs.js";

const UNIT_LIMIT = 256 * 1024;
const UNIT_DIRS = ["/usr/lib/systemd/system", "/lib/systemd/system", "/etc/systemd/system", "/run/systemd/system"];

export interface UnitEnvironment {
  env: Map<string, string>;
  files: string[];
  notes: string[];
}

export async function readUnitEnvironment(fs: RootFs, unit: string): Promise<UnitEnvironment> {
  const out: UnitEnvironment = { env: new Map(), files: [], notes: [] };
  const files: string[] = [];
  for (const dir of UNIT_DIRS) files.push(`${dir}/${unit}`);
  for (const dir of UNIT_DIRS) {
    const dropIns = await fs
      .list(`${dir}/${unit}.d`)
      .then(({ entries }) => entries.filter((e) => e.name.endsWith(".conf")).map((e) => `${dir}/${unit}.d/${e.name}`))
      .catch(() => [] as string[]);
    files.push(...dropIns.sort());
  }
  for (const file of files) {
    let text: string;
    try {
      text = (await fs.readText(file, UNIT_LIMIT)).text;
    } catch (err) {
      if (!(err instanceof FileReadError)) throw err;
      if (err.problem !== "missing") out.notes.push(`${err.message}; left out`);
      continue;
    }
    out.files.push(file);
    applyUnit(text, out, file);
  }
  return out;
}

/** The Environment= assignments of one unit file (pure). */
export function applyUnit(text: string, out: UnitEnvironment, file: string): void {
  for (const raw of text.replace(/\\\n/g, " ").split("\n")) {
    const line = raw.trim();
    if (/^EnvironmentFile\s*=/.test(line)) out.notes.push(`${file}: EnvironmentFile= is not read; variables it sets are unknown here`);
    const m = /^Environment\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    // An empty assignment resets the list in systemd.
    if ((m[1] ?? "").trim() === "") {
      out.env.clear();
      continue;
    }
    for (const word of words(m[1] ?? "")) {
      const eq = word.indexOf("=");
      if (eq > 0) out.env.set(word.slice(0, eq), word.slice(eq + 1));
    }
  }
}

/** systemd's quoting: words split on spaces, "double" and 'single' quotes group, backslash escapes. */
function words(text: string): string[] {
  const out: string[] = [];
  let current = "";
  let quote: string | undefined;
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "\\" && i + 1 < text.length) {
      current += text[++i];
      has = true;
    } else if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(current);
      current = "";
      has = false;
    } else {
      current += c;
      has = true;
    }
  }
  if (has) out.push(current);
  return out;
}
