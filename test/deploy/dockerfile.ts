// The Dockerfile and .dockerignore as a builder reads them: instructions (continuations joined,
// comments dropped, variables substituted where a builder substitutes them), stages, and which
// files of the repository the build context holds.

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix } from "node:path";

export interface Instruction {
  keyword: string;
  /** The text after the keyword, continuations joined. */
  args: string;
  line: number;
}

export interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

export interface Stage {
  index: number;
  name?: string;
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split("\n");
  let current: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    const trimmed = raw.trim();
    // Comment lines (parser directives included) are dropped, inside a continuation too.
    if (trimmed.startsWith("#")) continue;
    if (!current && trimmed === "") continue;
    const continued = /\\\s*$/.test(raw);
    const part = continued ? raw.replace(/\\\s*$/, "") : raw;
    current = current ? { text: `${current.text} ${part.trim()}`, line: current.line } : { text: part.trim(), line: i + 1 };
    if (!continued) {
      const m = /^(\S+)\s*([\s\S]*)$/.exec(current.text);
      if (m?.[1]) out.push({ keyword: m[1].toUpperCase(), args: (m[2] ?? "").trim(), line: current.line });
      current = undefined;
    }
  }
  if (current) throw new Error(`Dockerfile line ${current.line}: a continuation runs past the end of the file`);
  return out;
}

/** Splits on blanks outside quotes, removing the quotes and backslash escapes. */
export function words(text: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "\\" && quote !== "'" && i + 1 < text.length) {
      word = (word ?? "") + text[++i];
    } else if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? "") + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= "";
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (quote) throw new Error(`unbalanced quote in: ${text}`);
  if (word !== undefined) out.push(word);
  return out;
}

/** `$VAR`, `${VAR}` and `${VAR:-default}` as a builder expands them outside RUN. */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_m, braced: string | undefined, dflt: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? "";
      const v = vars[name];
      return v !== undefined && v !== "" ? v : (dflt ?? "");
    },
  );
}

/** KEY=value pairs (ENV, LABEL, ARG), quotes removed. */
export function keyValues(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words(args)) {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new Error(`expected KEY=value, got ${w}`);
    out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return out;
}

/** ENTRYPOINT/CMD/RUN in exec form (a JSON array); undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const parsed = JSON.parse(args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) throw new Error(`not an exec form: ${args}`);
  return parsed;
}

export function parseCopy(args: string, vars: Record<string, string>): Copy {
  const all = words(substitute(args, vars));
  const flags = all.filter((w) => w.startsWith("--"));
  const paths = all.filter((w) => !w.startsWith("--"));
  for (const f of flags) if (!/^--(from|chown|chmod|link)(=|$)/.test(f)) throw new Error(`COPY flag this test does not follow: ${f}`);
  const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length);
  const dest = paths.pop();
  if (dest === undefined || paths.length === 0) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { ...(from ? { from } : {}), sources: paths, dest };
}

function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === "FROM") {
      const w = words(ins.args).filter((x) => !x.startsWith("--platform"));
      const base = substitute(w[0] ?? "", globalArgs);
      const as = w[1]?.toUpperCase() === "AS" ? w[2] : undefined;
      stages.push({ index: stages.length, ...(as ? { name: as } : {}), base, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== "ARG") throw new Error(`Dockerfile line ${ins.line}: only ARG may come before the first FROM`);
      const [name, dflt] = ins.args.split(/=(.*)/s);
      globalArgs[(name ?? "").trim()] = words(dflt ?? "")[0] ?? "";
    } else {
      (stages[stages.length - 1] as Stage).instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

export function stageByRef(df: Dockerfile, ref: string): Stage {
  const s = df.stages.find((x) => x.name === ref) ?? (/^\d+$/.test(ref) ? df.stages[Number(ref)] : undefined);
  if (!s) throw new Error(`no stage ${ref}`);
  return s;
}

/** What the final stage sets for the container: entrypoint, cmd, workdir, user, env, labels. */
export function imageConfig(df: Dockerfile): {
  entrypoint: string[];
  cmd: string[];
  workdir: string;
  user: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  args: Record<string, string>;
} {
  const final = df.stages[df.stages.length - 1];
  if (!final) throw new Error("no stage");
  const cfg = {
    entrypoint: [] as string[],
    cmd: [] as string[],
    workdir: "/",
    user: "",
    env: {} as Record<string, string>,
    labels: {} as Record<string, string>,
    args: {} as Record<string, string>,
  };
  for (const ins of final.instructions) {
    const vars = { ...df.globalArgs, ...cfg.args, ...cfg.env };
    if (ins.keyword === "ARG") {
      const [name, dflt] = ins.args.split(/=(.*)/s);
      const key = (name ?? "").trim();
      cfg.args[key] = dflt !== undefined ? (words(dflt)[0] ?? "") : (df.globalArgs[key] ?? "");
    } else if (ins.keyword === "ENV") Object.assign(cfg.env, keyValues(substitute(ins.args, vars)));
    else if (ins.keyword === "LABEL") Object.assign(cfg.labels, keyValues(substitute(ins.args, vars)));
    else if (ins.keyword === "WORKDIR") cfg.workdir = posix.resolve(cfg.workdir, substitute(ins.args, vars));
    else if (ins.keyword === "USER") cfg.user = substitute(ins.args, vars);
    else if (ins.keyword === "ENTRYPOINT") cfg.entrypoint = execForm(ins.args) ?? ["/bin/sh", "-c", ins.args];
    else if (ins.keyword === "CMD") cfg.cmd = execForm(ins.args) ?? ["/bin/sh", "-c", ins.args];
  }
  return cfg;
}

// ---- .dockerignore ------------------------------------------------------------------------------

interface IgnoreRule {
  negate: boolean;
  re: RegExp;
  pattern: string;
}

/** Patterns as the builder cleans them: leading "/" and "./" dropped, trailing "/" too. */
function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const negate = l.startsWith("!");
      const pattern = posix
        .normalize((negate ? l.slice(1) : l).trim())
        .replace(/^\/+/, "")
        .replace(/\/+$/, "");
      let re = "";
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i] ?? "";
        if (c === "*" && pattern[i + 1] === "*") {
          re += ".*";
          i++;
          if (pattern[i + 1] === "/") i++;
        } else if (c === "*") re += "[^/]*";
        else if (c === "?") re += "[^/]";
        else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
      }
      return { negate, re: new RegExp(`^${re}$`), pattern };
    });
}

/** Excluded from the context: the last rule matching the path or one of its parents decides. */
function ignored(rules: IgnoreRule[], path: string): boolean {
  const parents: string[] = [];
  const parts = path.split("/");
  for (let i = 1; i <= parts.length; i++) parents.push(parts.slice(0, i).join("/"));
  let excluded = false;
  for (const r of rules) if (parents.some((p) => r.re.test(p))) excluded = !r.negate;
  return excluded;
}

/** Copies the build context (what .dockerignore lets through) of `root` to `dest`; returns its files. */
export function copyContext(root: string, rules: IgnoreRule[], dest: string): string[] {
  const files: string[] = [];
  const exceptions = rules.filter((r) => r.negate).map((r) => r.pattern);
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(root, path);
      const st = statSync(full);
      if (st.isDirectory()) {
        // An excluded folder is entered only when an exception could re-include something in it.
        if (ignored(rules, path) && !exceptions.some((e) => e.startsWith(`${path}/`) || e.includes("*"))) continue;
        walk(path);
      } else if (!ignored(rules, path)) {
        mkdirSync(dirname(join(dest, path)), { recursive: true });
        cpSync(full, join(dest, path));
        files.push(path);
      }
    }
  };
  walk("");
  return files.sort();
}

/** COPY semantics: a folder's contents go into the destination; a file into it when it ends in "/". */
export function copyInto(src: string, dest: string, multiple: boolean): void {
  if (!existsSync(src)) throw new Error(`COPY: ${src} does not exist`);
  if (statSync(src).isDirectory()) {
    mkdirSync(dest, { recursive: true });
    cpSync(src, dest, { recursive: true });
  } else {
    const into = dest.endsWith("/") || multiple || (existsSync(dest) && statSync(dest).isDirectory());
    const target = into ? join(dest, src.split("/").pop() ?? "") : dest;
    mkdirSync(dirname(target), { recursive: true });
    cpSync(src, target);
  }
}

export function readDockerfile(root: string): { dockerfile: Dockerfile; text: string; ignore: IgnoreRule[]; ignoreText: string } {
  const text = readFileSync(join(root, "Dockerfile"), "utf8");
  const ignoreText = readFileSync(join(root, ".dockerignore"), "utf8");
  return { dockerfile: parseDockerfile(text), text, ignore: parseDockerignore(ignoreText), ignoreText };
}
