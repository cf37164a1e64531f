// The view is read once per runtime process and handed out again while that process (pid and
// start time) and every file read for it (mtime and inode, symlinks included) stay the same: a
// diagnosis pays for a few stat calls, not for reading a trust store. A view taken from a
// fallback (no runtime process found) is kept for a short while only, so a runtime that comes up
// later is found.

import { lstat, stat } from "node:fs/promises";
import { readIdentity } from "./process.js";
import type { WatchedFile } from "./root-fs.js";
import { type RuntimeView, readRuntimeView, type ViewRequest } from "./view.js";

const FALLBACK_TTL_MS = 30_000;

interface Entry {
  key: string;
  view: RuntimeView;
  socket: { dev: number; ino: number } | undefined;
  at: number;
}

export class ViewCache {
  private entry: Entry | undefined;
  private loading: { key: string; promise: Promise<RuntimeView> } | undefined;

  constructor(
    private readonly read: (req: ViewRequest) => Promise<RuntimeView> = readRuntimeView,
    private readonly now: () => number = Date.now,
  ) {}

  async get(req: ViewRequest): Promise<RuntimeView> {
    const key = keyOf(req);
    const entry = this.entry;
    if (entry !== undefined && entry.key === key && (await this.fresh(entry, req))) return entry.view;
    if (this.loading?.key === key) return this.loading.promise;
    const promise = this.load(key, req);
    this.loading = { key, promise };
    try {
      return await promise;
    } finally {
      if (this.loading?.promise === promise) this.loading = undefined;
    }
  }

  private async load(key: string, req: ViewRequest): Promise<RuntimeView> {
    const socket = req.socketPath !== undefined ? await stat(req.socketPath).catch(() => undefined) : undefined;
    const view = await this.read(req);
    this.entry = { key, view, socket: socket && { dev: socket.dev, ino: socket.ino }, at: this.now() };
    return view;
  }

  private async fresh(entry: Entry, req: ViewRequest): Promise<boolean> {
    const origin = entry.view.origin;
    if (origin.kind !== "process") {
      if (req.socketPath !== undefined && this.now() - entry.at > FALLBACK_TTL_MS) return false;
    } else {
      const socket = await stat(origin.socket).catch(() => undefined);
      if (socket === undefined || entry.socket === undefined || socket.dev !== entry.socket.dev || socket.ino !== entry.socket.ino) return false;
      const identity = await readIdentity(origin.pid, origin.root.replace(/\/\d+\/root$/, "")).catch(() => undefined);
      if (identity?.startTicks !== origin.startTicks) return false;
    }
    const checks = await Promise.all(entry.view.watched.map(unchanged));
    return checks.every(Boolean);
  }
}

async function unchanged(w: WatchedFile): Promise<boolean> {
  const st = await (w.kind === "link" ? lstat(w.outside) : stat(w.outside)).catch(() => undefined);
  if (st === undefined) return w.mtimeMs === undefined;
  return st.mtimeMs === w.mtimeMs && st.ino === w.ino;
}

function keyOf(req: ViewRequest): string {
  return JSON.stringify([req.socketPath, req.hostRoot, req.hostsDirFlag, req.runtimeName, req.runtimeVersion, req.procDir]);
}
