import { randomBytes } from "node:crypto";
import { copyFile, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { FileReadError, readTextFile } from "../../core/fs/index.js";
import type { ImageView } from "../runtime/index.js";
import type { ImageUsage } from "./plan.js";

export const DEFAULT_STATE_FILE = "/var/lib/pullmedic/state.json";
/** Far above any real node; past it the least recently active images lose their record (and so look new: the safe side). */
const MAX_TRACKED_IMAGES = 50_000;
const STATE_VERSION = 1;
/** An image ID is a digest; anything much longer is not one. */
const MAX_ID_LENGTH = 256;
/** MAX_TRACKED_IMAGES entries take about 6 MB; a larger file is not ours. */
const STATE_FILE_MAX_BYTES = 16 * 1024 * 1024;

interface StateFile {
  version: number;
  savedAt: string;
  images: Record<string, { firstSeen: number; lastUsed?: number }>;
}

export interface UsageLoad {
  tracker: UsageTracker;
  /** Set when the file existed but could not be used; the tracker then starts empty or partial. */
  warning: string | undefined;
}

export type ObservedImage = Pick<ImageView, "id" | "usedBy">;

/**
 * When each image was first seen and last used, kept on disk so that a restart does not make
 * every image look new — kubelet forgets this on restart, which is why its minimum age protects
 * nothing after one.
 */
export class UsageTracker {
  readonly path: string;
  private readonly entries = new Map<string, ImageUsage>();
  private readonly maxEntries: number;
  private saving: Promise<void> = Promise.resolve();

  constructor(path: string, opts: { maxEntries?: number } = {}) {
    this.path = path;
    this.maxEntries = opts.maxEntries ?? MAX_TRACKED_IMAGES;
  }

  /**
   * A missing file is a first start; an unreadable or corrupt one is a warning, never a crash. A
   * file that is corrupt or from another version is copied beside it first (state.json.corrupt,
   * state.json.version-N): the next save replaces it, and a newer pullmedic's state or a file
   * to look into must not be lost with it.
   */
  static async load(path: string, opts: { now: number; maxEntries?: number }): Promise<UsageLoad> {
    const tracker = new UsageTracker(path, opts);
    let text: string;
    try {
      text = await readTextFile(path, { maxBytes: STATE_FILE_MAX_BYTES });
    } catch (err) {
      if (err instanceof FileReadError && err.problem === "missing") return { tracker, warning: undefined };
      return { tracker, warning: `cannot read image usage state ${(err as Error).message}; image ages start over` };
    }
    const problem = tracker.restore(text, opts.now);
    if (problem === undefined) return { tracker, warning: undefined };
    const kept = problem.keep === undefined ? "" : await keepCopy(path, problem.keep);
    return { tracker, warning: `image usage state ${path}: ${problem.text}${kept}` };
  }

  /**
   * Records what the runtime shows now. An image seen for the first time starts its age now; an
   * image any container refers to (running, created or exited, as kubelet counts use) was used
   * now; an image that is gone is forgotten.
   */
  observe(images: readonly ObservedImage[], now: number): void {
    const present = new Set<string>();
    for (const image of images) {
      present.add(image.id);
      const entry = this.entries.get(image.id);
      const used = image.usedBy.length > 0;
      if (entry === undefined) this.entries.set(image.id, { firstSeen: now, lastUsed: used ? now : undefined });
      else if (used) entry.lastUsed = Math.max(now, entry.lastUsed ?? now);
    }
    for (const id of this.entries.keys()) if (!present.has(id)) this.entries.delete(id);
    this.bound();
  }

  get(id: string): ImageUsage | undefined {
    const entry = this.entries.get(id);
    return entry && { ...entry };
  }

  get size(): number {
    return this.entries.size;
  }

  snapshot(): Record<string, ImageUsage> {
    // fromEntries defines own properties, so an ID such as "__proto__" cannot reach the prototype.
    return Object.fromEntries([...this.entries].map(([id, e]) => [id, { ...e }]));
  }

  /**
   * Atomic: a temp file in the same directory, fsynced, then renamed over the old one, so a
   * crash or a full disk leaves either the old state or the new, never half of one. Saves are
   * serialized so two callers cannot interleave.
   */
  save(): Promise<void> {
    const run = this.saving.then(() => this.writeAtomically());
    this.saving = run.catch(() => undefined);
    return run;
  }

  private async writeAtomically(): Promise<void> {
    const dir = dirname(this.path);
    await ensureDirectory(dir);
    const body: StateFile = { version: STATE_VERSION, savedAt: new Date().toISOString(), images: {} };
    body.images = Object.fromEntries(
      [...this.entries].map(([id, e]) => [id, e.lastUsed === undefined ? { firstSeen: e.firstSeen } : { firstSeen: e.firstSeen, lastUsed: e.lastUsed }]),
    );
    const tmp = join(dir, `.${basename(this.path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    try {
      const handle = await open(tmp, "wx", 0o644);
      try {
        await handle.writeFile(`${JSON.stringify(body)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await syncDirectory(dir);
  }

  /** Fills the tracker from file text; returns what was wrong with it, and the copy to keep when the whole file is unusable. */
  private restore(text: string, now: number): { text: string; keep?: string } | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { text: `not valid JSON (${(err as Error).message}); image ages start over`, keep: "corrupt" };
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { text: "not a JSON object; image ages start over", keep: "corrupt" };
    const state = parsed as Partial<StateFile>;
    if (state.version !== STATE_VERSION) {
      return {
        text: `version ${JSON.stringify(state.version)} is not the version ${STATE_VERSION} this pullmedic writes; image ages start over`,
        keep: typeof state.version === "number" && Number.isSafeInteger(state.version) ? `version-${state.version}` : "corrupt",
      };
    }
    if (typeof state.images !== "object" || state.images === null || Array.isArray(state.images)) {
      return { text: '"images" is not an object; image ages start over', keep: "corrupt" };
    }
    let bad = 0;
    for (const [id, raw] of Object.entries(state.images as Record<string, unknown>)) {
      const entry = usageEntry(raw, now);
      if (id === "" || id.length > MAX_ID_LENGTH || entry === undefined) bad++;
      else this.entries.set(id, entry);
    }
    this.bound();
    return bad > 0 ? { text: `${bad} malformed entr${bad === 1 ? "y" : "ies"} ignored (those images count as first seen now)` } : undefined;
  }

  private bound(): void {
    const excess = this.entries.size - this.maxEntries;
    if (excess <= 0) return;
    const byActivity = [...this.entries].sort(([, a], [, b]) => (a.lastUsed ?? a.firstSeen) - (b.lastUsed ?? b.firstSeen));
    for (const [id] of byActivity.slice(0, excess)) this.entries.delete(id);
  }
}

/** Copies the state file beside itself; the words to add to the warning, naming the copy or why there is none. */
async function keepCopy(path: string, suffix: string): Promise<string> {
  const copy = `${path}.${suffix}`;
  try {
    await copyFile(path, copy);
    return `; the file as it was is kept as ${copy}`;
  } catch (err) {
    return `; no copy could be kept (${copy}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
}

/** A time from the future (the clock was ahead when it was written) counts from now instead, so it cannot keep an image young until that future comes. */
function usageEntry(raw: unknown, now: number): ImageUsage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const { firstSeen, lastUsed } = raw as { firstSeen?: unknown; lastUsed?: unknown };
  if (typeof firstSeen !== "number" || !Number.isFinite(firstSeen) || firstSeen < 0) return undefined;
  if (lastUsed !== undefined && (typeof lastUsed !== "number" || !Number.isFinite(lastUsed) || lastUsed < 0)) return undefined;
  return { firstSeen: Math.min(firstSeen, now), lastUsed: lastUsed === undefined ? undefined : Math.min(lastUsed, now) };
}

/**
 * mkdir -p by hand: Node 20's recursive mkdir spins forever at full CPU where mkdir(2) answers
 * ENOENT although the parent exists (any path under /proc), and a misconfigured state path must
 * fail, not hang the agent.
 */
async function ensureDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    try {
      await stat(at);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      missing.push(at);
      if (dirname(at) === at) break;
    }
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

/** Makes the rename itself durable; some filesystems cannot fsync a directory, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}
