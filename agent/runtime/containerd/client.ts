import type { Metadata, ServiceClientConstructor } from "@grpc/grpc-js";
import { DEFAULT_CALL_TIMEOUT_MS, MAX_RECEIVE_BYTES } from "../client.js";
import type { Endpoint } from "../endpoint.js";
import { CriError, translateGrpcError } from "../errors.js";
import { loadContentService } from "./proto.js";
import type { Info, Status, Timestamp } from "./types.js";

/** ReadContentResponse's data (bytes decode as a Buffer; test/architecture's drift check reads no bytes fields). */
interface ReadChunk {
  data: Buffer;
}

/** The namespace kubelet's images live in: containerd's CRI plugin keeps everything there. */
const CRI_NAMESPACE = "k8s.io";
/** gRPC metadata key that selects a containerd namespace (containerd's namespaces package). */
const NAMESPACE_HEADER = "containerd-namespace";
/** A manifest or index worth reading is small; a bigger blob is not one pullmedic reads whole. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

/** A blob being written into the content store, e.g. a layer a pull is downloading. */
export interface Ingest {
  ref: string;
  /** Bytes written so far. */
  offset: number;
  /** Expected size, 0 when the writer did not say. */
  total: number;
  /** Expected digest, "" when the writer did not say. */
  expected: string;
  startedAtMs: number;
  updatedAtMs: number;
}

/** A committed blob. */
export interface BlobInfo {
  digest: string;
  size: number;
  labels: Record<string, string>;
}

type ServiceClient = InstanceType<ServiceClientConstructor>;
type Callback = (err: Error | null, value: unknown) => void;
type UnaryMethod = (request: object, metadata: Metadata, options: { deadline: Date }, callback: Callback) => unknown;
interface ReadableCall extends NodeJS.EventEmitter {
  cancel(): void;
}
type StreamMethod = (request: object, metadata: Metadata, options: { deadline: Date }) => ReadableCall;

/**
 * A read-only client of containerd's content store (containerd.services.content.v1) over the
 * socket the CRI uses, in the CRI's namespace. CRI-O has no such API: its calls fail with a
 * CriError of kind "not-cri" that says so.
 */
export class ContentStore {
  private constructor(
    readonly endpoint: Endpoint,
    private readonly client: ServiceClient,
    private readonly metadata: Metadata,
    readonly timeoutMs: number,
  ) {}

  static async connect(endpoint: Endpoint, opts: { timeoutMs?: number; namespace?: string } = {}): Promise<ContentStore> {
    const [grpc, Content] = await Promise.all([import("@grpc/grpc-js"), loadContentService()]);
    const client = new Content(endpoint.target, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_RECEIVE_BYTES,
      "grpc.enable_retries": 0,
    });
    const metadata = new grpc.Metadata();
    metadata.set(NAMESPACE_HEADER, opts.namespace ?? CRI_NAMESPACE);
    return new ContentStore(endpoint, client, metadata, opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
  }

  close(): void {
    this.client.close();
  }

  /** Every ingest in flight (filters in containerd's syntax, any of them matching). */
  async listStatuses(filters: string[] = []): Promise<Ingest[]> {
    const res = await this.unary<{ statuses: Status[] }>("ListStatuses", { filters });
    return (res.statuses ?? []).map(ingestOf);
  }

  /** The committed blob, or undefined while it is not (an answer, not an error). */
  async info(digest: string): Promise<BlobInfo | undefined> {
    try {
      const res = await this.unary<{ info: Info | null }>("Info", { digest });
      return res.info ? blobOf(res.info) : undefined;
    } catch (err) {
      if (err instanceof CriError && err.kind === "not-found") return undefined;
      throw err;
    }
  }

  /** Committed blobs matching any of the filters, e.g. `digest==sha256:…`. */
  async list(filters: string[]): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    await this.stream("List", { filters }, (m: { info?: Info[] }) => {
      for (const info of m.info ?? []) out.push(blobOf(info));
    });
    return out;
  }

  /** A committed blob's bytes; refuses blobs over `maxBytes` (manifests are small, layers are not). */
  async read(digest: string, maxBytes = MAX_READ_BYTES): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    await this.stream("Read", { digest, offset: 0, size: 0 }, (m: ReadChunk, stop) => {
      size += m.data.length;
      if (size > maxBytes) stop(new CriError("runtime", `content ${digest} is larger than ${maxBytes} bytes; not read`));
      else chunks.push(m.data);
    });
    return Buffer.concat(chunks);
  }

  private method<T>(name: string): T {
    const fn = this.client[name] as T | undefined;
    if (typeof fn !== "function") throw new CriError("not-cri", `containerd content method ${name} is not in pullmedic's proto`);
    return fn.bind(this.client) as T;
  }

  private unary<T>(name: string, request: object): Promise<T> {
    const fn = this.method<UnaryMethod>(name);
    return new Promise<T>((resolve, reject) => {
      fn(request, this.metadata, { deadline: this.deadline() }, (err, value) => {
        if (err) reject(this.failure(err, name));
        else resolve(value as T);
      });
    });
  }

  private stream<M>(name: string, request: object, each: (message: M, stop: (err: Error) => void) => void): Promise<void> {
    const call = this.method<StreamMethod>(name)(request, this.metadata, { deadline: this.deadline() });
    return new Promise<void>((resolve, reject) => {
      let failed: Error | undefined;
      const stop = (err: Error) => {
        failed ??= err;
        call.cancel();
      };
      call.on("data", (m: M) => {
        if (failed === undefined) each(m, stop);
      });
      call.on("error", (err: Error) => reject(failed ?? this.failure(err, name)));
      call.on("end", () => (failed ? reject(failed) : resolve()));
    });
  }

  private deadline(): Date {
    return new Date(Date.now() + this.timeoutMs);
  }

  private failure(err: unknown, call: string): CriError {
    const e = err as { code?: number; details?: string };
    // CRI-O (and any socket that is not containerd's) serves no content API.
    if (e.code === 12) {
      return new CriError("not-cri", `${this.endpoint.socketPath} does not serve containerd's content API (${call}): the runtime is not containerd`, {
        grpcCode: "UNIMPLEMENTED",
      });
    }
    return translateGrpcError(err, `content ${call}`, this.endpoint.socketPath, this.timeoutMs);
  }
}

function ms(t: Timestamp | null): number {
  if (t === null) return 0;
  return Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6);
}

function ingestOf(s: Status): Ingest {
  return {
    ref: s.ref,
    offset: Number(s.offset),
    total: Number(s.total),
    expected: s.expected,
    startedAtMs: ms(s.startedAt),
    updatedAtMs: ms(s.updatedAt),
  };
}

function blobOf(i: Info): BlobInfo {
  return { digest: i.digest, size: Number(i.size), labels: { ...i.labels } };
}
