// Citations between the code and docs/: every docs/ path a source names exists (and so does the
// heading it names), no source cites a facts or design file outside this repository, and links
// between the docs resolve. Read as text, like the import graph.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";

/** Files by repository-relative path; a stand-in replaces the disk for the self-test. */
export type Tree = Map<string, string>;

const ROOT = new URL("../../", import.meta.url).pathname;

function listFiles(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = posix.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "fixtures" ? [] : listFiles(p, keep);
    return keep(e.name) ? [p] : [];
  });
}

/** The sources under `dirs` and every Markdown file under docs/, as they are on disk. */
export function readTree(dirs: string[]): Tree {
  const paths = [...dirs.flatMap((d) => listFiles(d, (n) => /\.(?:ts|mjs|js|proto)$/.test(n))), ...listFiles("docs", (n) => n.endsWith(".md"))];
  return new Map(paths.map((p) => [p, readFileSync(join(ROOT, p), "utf8")]));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function headings(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map((m) => m[1]!.replace(/`/g, ""));
}

const lineOf = (text: string, index: number) => text.slice(0, index).split("\n").length;

/** A source names `docs/<file>.md`, optionally followed by `, "<heading>"`: both must exist. */
export function danglingCitations(tree: Tree): string[] {
  const problems: string[] = [];
  for (const [path, text] of tree) {
    if (path.startsWith("docs/")) continue;
    for (const m of text.matchAll(/\b(docs\/[\w./-]*\w\.md)(?:, "([^"]+)")?/g)) {
      const where = `${path}:${lineOf(text, m.index)}`;
      const doc = tree.get(m[1]!);
      if (doc === undefined) problems.push(`${where} cites ${m[1]}, which does not exist`);
      else if (m[2] !== undefined && !headings(doc).includes(m[2])) problems.push(`${where} cites a heading "${m[2]}" that ${m[1]} does not have`);
    }
  }
  return problems;
}

/** Facts and design live in docs/ now: nothing cites the workspace's shared files. */
export function outsideCitations(tree: Tree): string[] {
  const problems: string[] = [];
  for (const [path, text] of tree) {
    if (path.startsWith("docs/")) continue;
    for (const m of text.matchAll(/REGISTRY_FACTS|DESIGN\.md|\.\.\/shared\//g)) {
      problems.push(`${path}:${lineOf(text, m.index)} cites ${m[0]}, which is not in this repository`);
    }
  }
  return problems;
}

/** Relative Markdown links between docs files resolve, anchors included. */
export function brokenDocLinks(tree: Tree): string[] {
  const problems: string[] = [];
  for (const [path, text] of tree) {
    if (!path.startsWith("docs/")) continue;
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/.test(link)) continue;
      const [file, anchor] = link.split("#");
      const target = file ? posix.normalize(posix.join(posix.dirname(path), file)) : path;
      const where = `${path}:${lineOf(text, m.index)}`;
      if (!target.endsWith(".md")) {
        if (!existsSync(join(ROOT, target)) && !tree.has(target)) problems.push(`${where} links to ${link}, which does not exist`);
        continue;
      }
      const doc = tree.get(target);
      if (doc === undefined) problems.push(`${where} links to ${link}, which does not exist`);
      else if (anchor && !headings(doc).map(anchorOf).includes(anchor)) problems.push(`${where} links to ${link}: ${target} has no such heading`);
    }
  }
  return problems;
}

/** The labels in the first column of the table under `heading` (backticks dropped). */
export function tableLabels(markdown: string, heading: string): string[] {
  const start = markdown.search(new RegExp(`^#+\\s+${heading}\\s*$`, "m"));
  if (start < 0) return [];
  const rest = markdown.slice(start).split("\n").slice(1);
  const next = rest.findIndex((l) => /^#/.test(l));
  const section = next < 0 ? rest : rest.slice(0, next);
  return section
    .filter((l) => l.startsWith("|") && !/^\|\s*-/.test(l))
    .slice(1)
    .map((l) => l.split("|")[1]!.trim().replace(/`/g, ""));
}
