import { formatDuration } from "../../core/text/index.js";

export type CriErrorKind = "bad-endpoint" | "socket-missing" | "permission-denied" | "not-cri" | "deadline" | "unavailable" | "not-found" | "runtime";

/** A CRI failure phrased for a person; `kind` lets callers decide without parsing text. */
export class CriError extends Error {
  readonly kind: CriErrorKind;
  readonly tried: string[];
  /** The gRPC status code name when the runtime answered, e.g. "NOT_FOUND". */
  readonly grpcCode: string | undefined;

  constructor(kind: CriErrorKind, message: string, extra: { tried?: string[]; grpcCode?: string } = {}) {
    super(message);
    this.name = "CriError";
    this.kind = kind;
    this.tried = extra.tried ?? [];
    this.grpcCode = extra.grpcCode;
  }
}

/** gRPC status codes by number (grpc-js Status enum), kept here to avoid loading grpc-js eagerly. */
const CODE_NAMES: Record<number, string> = {
  0: "OK",
  1: "CANCELLED",
  2: "UNKNOWN",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  6: "ALREADY_EXISTS",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  9: "FAILED_PRECONDITION",
  10: "ABORTED",
  11: "OUT_OF_RANGE",
  12: "UNIMPLEMENTED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  15: "DATA_LOSS",
  16: "UNAUTHENTICATED",
};

interface GrpcLikeError {
  code?: number;
  details?: string;
  message?: string;
}

/**
 * Turns a grpc-js failure into a CriError that says what happened in the words a platform
 * engineer uses: which socket, which call, what to do. The runtime's own text is kept for
 * runtime errors because the diagnosis engine classifies it.
 */
export function translateGrpcError(err: unknown, call: string, socketPath: string, timeoutMs: number): CriError {
  if (err instanceof CriError) return err;
  const e = (err ?? {}) as GrpcLikeError;
  const code = typeof e.code === "number" ? e.code : 2;
  const codeName = CODE_NAMES[code] ?? String(code);
  const details = (e.details ?? e.message ?? "").trim();
  const extra = { grpcCode: codeName };
  switch (codeName) {
    case "DEADLINE_EXCEEDED":
      return new CriError("deadline", `runtime at ${socketPath} did not answer ${call} within ${formatDuration(timeoutMs)}`, extra);
    case "UNIMPLEMENTED":
      return new CriError(
        "not-cri",
        `${socketPath} does not serve the CRI runtime.v1 API (${call}: ${details || "unimplemented"}); ` +
          `is it a containerd older than 1.5 or a socket of another program?`,
        extra,
      );
    case "UNAVAILABLE": {
      if (/EACCES|permission denied/i.test(details)) {
        return new CriError("permission-denied", `permission denied on CRI socket ${socketPath}: run as root or as a member of the socket's group`, extra);
      }
      if (/ENOENT|no such file/i.test(details)) {
        return new CriError("socket-missing", `CRI socket ${socketPath} does not exist`, { ...extra, tried: [socketPath] });
      }
      if (/ECONNREFUSED/i.test(details)) {
        return new CriError("unavailable", `nothing is listening on CRI socket ${socketPath} (connection refused): is the runtime running?`, extra);
      }
      if (/protocol error|http2|parse|RST_STREAM|frame/i.test(details)) {
        return new CriError("not-cri", `${socketPath} does not speak gRPC (${details}); is it the runtime's CRI socket?`, extra);
      }
      return new CriError("unavailable", `runtime at ${socketPath} is unavailable during ${call}: ${details || "no details"}`, extra);
    }
    case "NOT_FOUND":
      return new CriError("not-found", `${call}: ${details}`, extra);
    default:
      return new CriError("runtime", `${call} failed (${codeName}): ${details}`, extra);
  }
}
