// Files as the runtime sees them. `/proc/<pid>/root` enters the runtime's mount namespace, but the
// kernel resolves every absolute symlink met after that against the *caller's* root: reading
// `/proc/<pid>/root/etc/resolv.conf` when it links to `/run/systemd/resolve/stub-resolv.conf`
// would read this process's stub file, not the runtime's. So paths are walked here one component
// at a time, each symlink read and re-rooted, ".." clamped at the root, the way the runtime's own
// kernel walk would go (docs/facts/runtime-view.md). A mounted node root (--host-root) has the
// same problem, its links name node paths, and is walked the same way.

import type { Dirent, Stats } from "node:fs";
import { lstat, readdir, readlink, stat } from "node:fs/promises";
import { posix } from "node:path";
import { FileReadError, readTextFile } from "../../core/fs/index.js";

/** Linux gives up after this many symlinks in one walk (MAXSYMLINKS): ELOOP. */
const MAX_LINKS = 40;

export interface RootedPath {
  /** The path as the runtime names it, after its symlinks: absolute, no "." or "..". */
  inside: string;
  /** Where this process reads it. */
  outside: string;
  /** Each symlink followed, as the runtime names it, with what it points to. */
  links: { link: string; target: string }[];
  /** The walk stopped at a component that does not exist (or is not a directory). */
  missing: boolean;
}

/** A file read inside the root, with what a cache needs to notice it changed. */
export interface RootedText {
  text: string;
  path: RootedPath;
}

/** What a cache checks to know a file it read is still the same (see Watch). */
export interface WatchedFile {
  outside: string;
  /** lstat for symlinks on the way, stat for what was read; undefined: it did not exist. */
  kind: "link" | "file" | "dir";
  mtimeMs: number | undefined;
  ino: number | undefined;
}

export class RootFs {
  /** Every file, directory and symlink read, for the cache's freshness check. */
  readonly watched: WatchedFile[] = [];
  /** What the walks found so far, while memoized() runs. */
  private memo: WalkMemo | undefined;

  /**
   * @param root where the runtime's "/" is for this process: "/proc/<pid>/root", a mounted node
   *   root, or "/" (then the kernel's own walk is right and is used as is).
   * @param label how messages name this root: "containerd's root (pid 812)", "--host-root /host".
   */
  constructor(
    readonly root: string,
    readonly label: string,
  ) {}

  /**
   * Resolves `path` (absolute, as the runtime names it) inside the root. `watch`: remember the
   * symlinks on the way for the cache (off for the members of a directory, watched as a whole).
   */
  async resolve(path: string, watch = true): Promise<RootedPath> {
    const start = posix.resolve("/", path);
    if (this.root === "/") return { inside: start, outside: start, links: [], missing: false };
    return walk(this.root, start, watch ? this.watched : undefined, this.memo);
  }

  /**
   * Runs `read` with the walks remembering what they found. A trust store is hundreds of paths
   * through the same few directories (~290 entries of a Debian /etc/ssl/certs, half of them links
   * into /usr/share/ca-certificates), and an lstat of every step of every path cost a one-shot
   * diagnose more than reading the files. Only for the while: a view reads certs.d later, and must
   * see what was created since.
   */
  async memoized<T>(read: () => Promise<T>): Promise<T> {
    if (this.memo !== undefined) return read();
    this.memo = { lstat: new Map(), links: new Map() };
    try {
      return await read();
    } finally {
      this.memo = undefined;
    }
  }

  /** Reads a text file inside the root through the one safe reader; errors name the runtime's path and this root. */
  async readText(path: string, maxBytes: number, watch = true): Promise<RootedText> {
    const resolved = await this.resolve(path, watch);
    try {
      const text = await readTextFile(resolved.outside, { maxBytes });
      if (watch) await this.watch(resolved.outside, "file");
      return { text, path: resolved };
    } catch (err) {
      if (watch) await this.watch(resolved.outside, "file");
      if (err instanceof FileReadError) throw new FileReadError(this.name(path, resolved), err.problem, problemText(err));
      throw err;
    }
  }

  /** The entries of a directory inside the root; symlinks among them are reported as such, not followed. */
  async list(path: string): Promise<{ dir: RootedPath; entries: Dirent[] }> {
    const dir = await this.resolve(path);
    await this.watch(dir.outside, "dir");
    try {
      return { dir, entries: await readdir(dir.outside, { withFileTypes: true }) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const problem = code === "ENOENT" || code === "ENOTDIR" ? "missing" : code === "EACCES" || code === "EPERM" ? "permission" : "io";
      throw new FileReadError(this.name(path, dir), problem, problem === "missing" ? "no such directory" : `cannot be listed (${code ?? String(err)})`);
    }
  }

  /** The target of a symlink inside the root, as written (undefined when `path` is not a symlink). */
  async linkTarget(path: string): Promise<string | undefined> {
    const parent = await this.resolve(posix.dirname(posix.resolve("/", path)), false);
    const outside = posix.join(parent.outside, posix.basename(path));
    const target = await readlink(outside).catch(() => undefined);
    // The walk through this link, unwatched, need not read it again (a trust store's entries are read right after).
    if (target !== undefined && !parent.missing) this.memo?.links.set(posix.join(parent.inside, posix.basename(path)), target);
    return target;
  }

  /** How messages name a file: the runtime's path, what it resolved to, and whose root. */
  name(path: string, resolved?: RootedPath): string {
    const via = resolved && resolved.inside !== posix.resolve("/", path) ? ` (→ ${resolved.inside})` : "";
    return this.root === "/" ? `${path}${via}` : `${path}${via} in ${this.label}`;
  }

  private async watch(outside: string, kind: WatchedFile["kind"]): Promise<void> {
    const st = await stat(outside).catch(() => undefined);
    this.watched.push({ outside, kind, mtimeMs: st?.mtimeMs, ino: st?.ino });
  }
}

/** The message of a FileReadError without the path the safe reader put in front of it. */
function problemText(err: FileReadError): string {
  const prefix = `${err.path}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

/**
 * lstat of paths (as the runtime names them), shared by walks running at once (a trust store's
 * entries are read in parallel: without it, each walk lstat-ed the same directories before any
 * finished), and symlinks already read with their targets.
 */
interface WalkMemo {
  lstat: Map<string, Promise<Stats | undefined>>;
  links: Map<string, string>;
}

function lstatOnce(memo: WalkMemo | undefined, root: string, inside: string): Promise<Stats | undefined> {
  let st = memo?.lstat.get(inside);
  if (st === undefined) {
    st = lstat(outsideOf(root, inside)).catch(() => undefined);
    memo?.lstat.set(inside, st);
  }
  return st;
}

/** `watched` undefined: nothing to remember for the cache, so links already read are taken from the memo. */
async function walk(root: string, start: string, watched: WatchedFile[] | undefined, memo: WalkMemo | undefined): Promise<RootedPath> {
  const links: { link: string; target: string }[] = [];
  // Components still to walk, first one last (a stack), so a link's target is pushed in front of the rest.
  const pending = components(start).reverse();
  let current = "/";
  let followed = 0;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === "..") {
      // Clamped: ".." of the runtime's "/" is its "/", as for a process whose root it is.
      current = posix.dirname(current);
      continue;
    }
    const next = posix.join(current, part);
    const known = watched === undefined ? memo?.links.get(next) : undefined;
    const st = known !== undefined ? undefined : await lstatOnce(memo, root, next);
    if (known === undefined && (st === undefined || (pending.length > 0 && !st.isDirectory() && !st.isSymbolicLink()))) {
      watched?.push({ outside: outsideOf(root, next), kind: "link", mtimeMs: undefined, ino: undefined });
      return missingRest(root, next, pending, links);
    }
    if (st !== undefined && !st.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (++followed > MAX_LINKS) throw new FileReadError(next, "io", `more than ${MAX_LINKS} symbolic links on the way (a loop?)`);
    const target = known ?? (await readlink(outsideOf(root, next)));
    memo?.links.set(next, target);
    watched?.push({ outside: outsideOf(root, next), kind: "link", mtimeMs: st?.mtimeMs, ino: st?.ino });
    links.push({ link: next, target });
    // An absolute target starts again at the runtime's "/"; a relative one from the link's directory.
    if (target.startsWith("/")) current = "/";
    pending.push(...components(target).reverse());
  }
  return { inside: current, outside: outsideOf(root, current), links, missing: false };
}

function missingRest(root: string, at: string, pending: string[], links: RootedPath["links"]): RootedPath {
  let inside = at;
  for (const part of [...pending].reverse()) inside = part === ".." ? posix.dirname(inside) : posix.join(inside, part);
  return { inside, outside: outsideOf(root, inside), links, missing: true };
}

function components(path: string): string[] {
  return path.split("/").filter((p) => p !== "" && p !== ".");
}

function outsideOf(root: string, inside: string): string {
  return inside === "/" ? root : `${root.replace(/\/+$/, "")}${inside}`;
}
