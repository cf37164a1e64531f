// The import graph of the sources, read as text: static imports, re-exports and dynamic import()
// with a relative specifier. Only what the layering test needs; no TypeScript API (the compiler we
// build with has none).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix, relative } from "node:path";

export interface ImportEdge {
  from: string;
  to: string;
  line: number;
}

export interface ImportGraph {
  files: string[];
  edges: ImportEdge[];
  /** Folders holding an index.ts: their door. */
  rooms: string[];
  /** Relative imports that name no file. */
  unresolved: string[];
}

const ROOT = new URL("../../", import.meta.url).pathname;
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;

function sourceFiles(dir: string): string[] {
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = posix.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(e.name) && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** `layers` are top-level folders; `virtual` replaces the disk with given files (for the self-test). */
export function importGraph(layers: string[], virtual?: Record<string, string>): ImportGraph {
  const files = virtual ? Object.keys(virtual) : layers.flatMap(sourceFiles);
  const known = new Set(files);
  const read = (f: string) => (virtual ? (virtual[f] ?? "") : readFileSync(join(ROOT, f), "utf8"));
  const edges: ImportEdge[] = [];
  const unresolved: string[] = [];
  for (const from of files) {
    const lines = read(from).split("\n");
    lines.forEach((text, i) => {
      for (const m of text.matchAll(SPECIFIER)) {
        const spec = m[1] ?? "";
        const to = posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, ".ts");
        edges.push({ from, to, line: i + 1 });
        if (!known.has(to) && !virtual && !existsSync(join(ROOT, to))) unresolved.push(`${from}:${i + 1} ${spec}`);
      }
    });
  }
  const rooms = [...new Set(files.filter((f) => f.endsWith("/index.ts")).map((f) => posix.dirname(f)))].sort();
  return { files: files.map((f) => relative(".", f)), edges, rooms, unresolved };
}
