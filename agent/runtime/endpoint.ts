import { stat } from "node:fs/promises";
import { CriError } from "./errors.js";

/** Where each distribution puts its CRI socket, in the order we try them. */
export const KNOWN_SOCKETS: readonly { runtime: string; path: string }[] = [
  { runtime: "containerd", path: "/run/containerd/containerd.sock" },
  { runtime: "k3s", path: "/run/k3s/containerd/containerd.sock" },
  // RKE2 uses the k3s path; listed once since detection would find it there.
  { runtime: "microk8s", path: "/var/snap/microk8s/common/run/containerd.sock" },
  { runtime: "k0s", path: "/run/k0s/containerd.sock" },
  { runtime: "cri-o", path: "/var/run/crio/crio.sock" },
  { runtime: "cri-o", path: "/run/crio/crio.sock" },
];

export interface Endpoint {
  /** gRPC target, always `unix:///absolute/path`. */
  target: string;
  socketPath: string;
  /** How we chose it: the flag, the environment, or detection. */
  source: "flag" | "env" | "detected";
}

/**
 * Accepts `unix:///path`, `unix:/path` and a bare absolute path, as crictl does.
 * Anything else (tcp://, npipe://, a relative path) is refused with a message naming it.
 */
export function parseEndpoint(value: string, source: Endpoint["source"]): Endpoint {
  const raw = value.trim();
  let path: string;
  if (raw.startsWith("unix://")) path = raw.slice("unix://".length);
  else if (raw.startsWith("unix:")) path = raw.slice("unix:".length);
  else if (raw.startsWith("/")) path = raw;
  else {
    const origin = source === "flag" ? "--cri-endpoint" : "CRI_ENDPOINT";
    throw new CriError("bad-endpoint", `${origin} "${value}" is not a unix socket: use unix:///path/to/runtime.sock`);
  }
  if (!path.startsWith("/")) {
    throw new CriError("bad-endpoint", `CRI endpoint "${value}" must be an absolute socket path`);
  }
  return { target: `unix://${path}`, socketPath: path, source };
}

export type SocketProbe = (path: string) => Promise<"socket" | "missing" | "not-a-socket" | "denied">;

const probeSocketPath: SocketProbe = async (path) => {
  try {
    const st = await stat(path);
    return st.isSocket() ? "socket" : "not-a-socket";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return "denied";
    return "missing";
  }
};

/**
 * The flag wins, then CRI_ENDPOINT, then the first known socket that exists.
 * An explicit endpoint is checked too, so a typo is reported as a missing socket, not a timeout.
 */
export async function resolveEndpoint(opts: { flag?: string | undefined; env?: string | undefined }, probe: SocketProbe = probeSocketPath): Promise<Endpoint> {
  const explicit = opts.flag ? parseEndpoint(opts.flag, "flag") : opts.env ? parseEndpoint(opts.env, "env") : undefined;
  if (explicit) {
    const state = await probe(explicit.socketPath);
    if (state === "socket") return explicit;
    throw socketProblem(explicit.socketPath, state, [explicit.socketPath]);
  }
  const tried: string[] = [];
  for (const known of KNOWN_SOCKETS) {
    tried.push(known.path);
    const state = await probe(known.path);
    if (state === "socket") return { target: `unix://${known.path}`, socketPath: known.path, source: "detected" };
    if (state === "denied") throw socketProblem(known.path, state, tried);
  }
  throw new CriError(
    "socket-missing",
    `no container runtime socket found (tried ${tried.join(", ")}); point pullmedic at one with --cri-endpoint unix:///path/to.sock or CRI_ENDPOINT`,
    { tried },
  );
}

function socketProblem(path: string, state: "missing" | "not-a-socket" | "denied", tried: string[]): CriError {
  switch (state) {
    case "missing":
      return new CriError("socket-missing", `CRI socket ${path} does not exist`, { tried });
    case "not-a-socket":
      return new CriError("socket-missing", `CRI endpoint ${path} exists but is not a unix socket`, { tried });
    case "denied":
      return new CriError("permission-denied", `permission denied on CRI socket ${path}: run as root or as a member of the socket's group`, { tried });
  }
}
