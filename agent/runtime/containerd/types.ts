// TypeScript shapes of the containerd.services.content.v1 messages pullmedic reads, as
// @grpc/proto-loader decodes them with our options (proto.ts): camelCase fields, 64-bit integers
// as decimal strings, defaults filled in. What containerd puts in them: docs/facts/containerd-content.md.

export interface Timestamp {
  seconds: string;
  nanos: number;
}

export interface Info {
  digest: string;
  size: string;
  createdAt: Timestamp | null;
  updatedAt: Timestamp | null;
  labels: Record<string, string>;
}

export interface Status {
  startedAt: Timestamp | null;
  updatedAt: Timestamp | null;
  ref: string;
  offset: string;
  total: string;
  expected: string;
}
