// Which image a blob being written belongs to. A pull commits the image's manifest first and
// labels it with its children (`containerd.io/gc.ref.content.l.<n>`, `.config`) and the registry
// and repository it came from (`containerd.io/distribution.source.<host>`) before it fetches them,
// so an ingest's digest leads to its manifest: docs/facts/containerd-content.md.

import type { BlobInfo, Ingest } from "../runtime/containerd/index.js";

/** The content store calls the pull tracker needs (ContentStore fits; tests pass a stand-in). */
export interface ContentReader {
  listStatuses(): Promise<Ingest[]>;
  list(filters: string[]): Promise<BlobInfo[]>;
  read(digest: string, maxBytes?: number): Promise<Buffer>;
}

/** Where the image came from, as the manifest's labels say: a host without its port, a repository. */
export interface ImageSource {
  host: string;
  repository: string;
}

export interface ImageManifest {
  digest: string;
  config: { digest: string; size: number };
  layers: { digest: string; size: number }[];
  sources: ImageSource[];
  /** Digests of the indexes (multi-platform lists) that name this manifest. */
  indexes: string[];
}

const LABEL = "containerd.io/";
const CONFIG_LABEL = `${LABEL}gc.ref.content.config`;
const SOURCE_LABEL = `${LABEL}distribution.source.`;
const MANIFESTS = [`labels."${CONFIG_LABEL}"`];
const INDEXES = [`labels."${LABEL}gc.ref.content.m.0"`];
const DIGEST = /(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** Manifests remembered, least recently used dropped first. */
const MAX_MANIFESTS = 512;
/** A digest no manifest claims is looked up again after this long, not on every poll. */
const RETRY_UNKNOWN_MS = 10_000;
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** The digest an ingest's ref names (containerd names a pull's ingests "layer-<digest>", "config-<digest>", …). */
export function ingestDigest(ingest: Ingest): string | undefined {
  if (ingest.expected !== "") return ingest.expected;
  return DIGEST.exec(ingest.ref)?.[1];
}

function sourcesOf(labels: Record<string, string>): ImageSource[] {
  return Object.entries(labels).flatMap(([key, value]) =>
    key.startsWith(SOURCE_LABEL) ? value.split(",").flatMap((repository) => (repository ? [{ host: key.slice(SOURCE_LABEL.length), repository }] : [])) : [],
  );
}

/** The children a manifest's labels name: its config and layers. */
function childrenOf(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([key, value]) => (key === CONFIG_LABEL || key.startsWith(`${LABEL}gc.ref.content.l.`) ? [value] : []));
}

/** The manifest's own words for its config and layers, with their sizes. */
function parseManifest(digest: string, body: Buffer, labels: Record<string, string>): ImageManifest | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  const m = doc as { config?: { digest?: unknown; size?: unknown }; layers?: { digest?: unknown; size?: unknown }[] };
  if (typeof m.config?.digest !== "string" || !Array.isArray(m.layers)) return undefined;
  const layers = m.layers.flatMap((l) => (typeof l.digest === "string" ? [{ digest: l.digest, size: typeof l.size === "number" ? l.size : 0 }] : []));
  const config = { digest: m.config.digest, size: typeof m.config.size === "number" ? m.config.size : 0 };
  return { digest, config, layers, sources: sourcesOf(labels), indexes: [] };
}

/** Finds and remembers the manifests that blobs belong to. */
export class ManifestCatalog {
  private readonly manifests = new Map<string, ImageManifest>();
  private readonly owner = new Map<string, string>();
  private readonly unknownUntil = new Map<string, number>();

  constructor(
    private readonly store: ContentReader,
    private readonly now: () => number,
  ) {}

  /** The manifest each digest belongs to, for those that have one. */
  async owners(digests: string[]): Promise<Map<string, ImageManifest>> {
    const now = this.now();
    const missing = digests.filter((d) => !this.owner.has(d) && (this.unknownUntil.get(d) ?? 0) <= now);
    if (missing.length > 0) await this.lookUp(new Set(missing), now);
    const out = new Map<string, ImageManifest>();
    for (const d of digests) {
      const m = this.manifestOf(d);
      if (m !== undefined) out.set(d, m);
    }
    return out;
  }

  private manifestOf(digest: string): ImageManifest | undefined {
    const key = this.owner.get(digest);
    const m = key === undefined ? undefined : this.manifests.get(key);
    if (m !== undefined) {
      this.manifests.delete(m.digest);
      this.manifests.set(m.digest, m);
    }
    return m;
  }

  private async lookUp(missing: Set<string>, now: number): Promise<void> {
    const candidates = (await this.store.list(MANIFESTS)).filter((info) => childrenOf(info.labels).some((c) => missing.has(c)));
    let indexes: BlobInfo[] | undefined;
    for (const info of candidates) {
      let m = this.manifests.get(info.digest);
      if (m === undefined) {
        m = parseManifest(info.digest, await this.store.read(info.digest, MAX_MANIFEST_BYTES), info.labels);
        if (m === undefined) continue;
        indexes ??= await this.store.list(INDEXES);
        m.indexes = indexes.filter((i) => Object.values(i.labels).includes(info.digest)).map((i) => i.digest);
        this.remember(m);
      }
      for (const child of [m.config.digest, ...m.layers.map((l) => l.digest)]) this.owner.set(child, m.digest);
    }
    for (const d of missing) if (!this.owner.has(d)) this.unknownUntil.set(d, now + RETRY_UNKNOWN_MS);
    if (this.unknownUntil.size > MAX_MANIFESTS) this.unknownUntil.clear();
  }

  private remember(m: ImageManifest): void {
    this.manifests.set(m.digest, m);
    while (this.manifests.size > MAX_MANIFESTS) {
      const oldest = this.manifests.keys().next().value;
      if (oldest === undefined) break;
      this.manifests.delete(oldest);
      for (const [child, owner] of this.owner) if (owner === oldest) this.owner.delete(child);
    }
  }
}
