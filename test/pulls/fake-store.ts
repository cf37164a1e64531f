// A content store in memory, for the pull tracker's tests: ingests and committed blobs the test
// sets, labelled as containerd labels a pull's manifest.

import { createHash } from "node:crypto";
import type { ContentReader } from "../../agent/pulls/index.js";
import type { BlobInfo, Ingest } from "../../agent/runtime/containerd/index.js";

const digestOf = (text: string): string => `sha256:${createHash("sha256").update(text).digest("hex")}`;

export interface FakeImage {
  manifest: string;
  config: { digest: string; size: number };
  layers: { digest: string; size: number }[];
}

export class FakeContentStore implements ContentReader {
  readonly ingests = new Map<string, Ingest>();
  readonly blobs = new Map<string, { info: BlobInfo; body: Buffer }>();
  calls = 0;

  /** An image whose manifest is committed and labelled, as a pull leaves it before fetching the rest. */
  addImage(name: string, host: string, repository: string, layerSizes: number[]): FakeImage {
    const config = { digest: digestOf(`${name} config`), size: 1000 };
    const layers = layerSizes.map((size, i) => ({ digest: digestOf(`${name} layer ${i}`), size }));
    const body = Buffer.from(
      JSON.stringify({ schemaVersion: 2, config: { ...config, mediaType: "c" }, layers: layers.map((l) => ({ ...l, mediaType: "l" })) }),
    );
    const manifest = digestOf(body.toString());
    const labels: Record<string, string> = {
      "containerd.io/gc.ref.content.config": config.digest,
      [`containerd.io/distribution.source.${host}`]: repository,
    };
    for (const [i, l] of layers.entries()) labels[`containerd.io/gc.ref.content.l.${i}`] = l.digest;
    this.blobs.set(manifest, { info: { digest: manifest, size: body.length, labels }, body });
    return { manifest, config, layers };
  }

  write(digest: string, offset: number, total: number, at: number, startedAt = at): void {
    const prev = this.ingests.get(digest);
    this.ingests.set(digest, { ref: `layer-${digest}`, offset, total, expected: "", startedAtMs: prev?.startedAtMs ?? startedAt, updatedAtMs: at });
  }

  commit(digest: string, size: number): void {
    this.ingests.delete(digest);
    this.blobs.set(digest, { info: { digest, size, labels: {} }, body: Buffer.alloc(0) });
  }

  async listStatuses(): Promise<Ingest[]> {
    this.calls++;
    return [...this.ingests.values()];
  }

  async list(filters: string[]): Promise<BlobInfo[]> {
    this.calls++;
    return [...this.blobs.values()]
      .map((b) => b.info)
      .filter((info) =>
        filters.some((f) => {
          const digest = /^digest==(.+)$/.exec(f)?.[1];
          if (digest !== undefined) return info.digest === digest;
          const label = /^labels\."(.+)"$/.exec(f)?.[1];
          return label !== undefined && label in info.labels;
        }),
      );
  }

  async read(digest: string): Promise<Buffer> {
    this.calls++;
    const b = this.blobs.get(digest);
    if (!b) throw new Error(`not found: ${digest}`);
    return b.body;
  }
}
