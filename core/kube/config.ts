/**
 * Where the API server is and how to prove who we are: from kubeconfig files (KUBECONFIG or a
 * flag) or from the pod's service account. The result, a KubeConnection, holds PEM text and a
 * token function, never file names the client would have to read again — except the token file,
 * which rotates and is re-read at most once a minute.
 */

import { delimiter, join, resolve as resolvePath } from "node:path";
import { FileReadError, readTextFile } from "../../core/fs/index.js";
import { rememberSecret } from "../../core/log/index.js";
import { KubeConfigError, readFailure } from "./config-error.js";
import { fileToken } from "./config-token.js";
import { type KubeconfigFile, parseKubeconfigFile, resolveKubeconfig } from "./kubeconfig.js";

export { KubeConfigError } from "./config-error.js";

export interface KubeConnection {
  /** https://10.0.0.1:443 (no trailing slash; may carry a path prefix behind a proxy). */
  server: string;
  /** PEM text of the CA bundle that signs the server's certificate; undefined means the system roots. */
  ca?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  /** PEM text. */
  clientCert?: string;
  /** PEM text. */
  clientKey?: string;
  /** The bearer token to send now; token files (in-cluster tokens rotate about hourly) are re-read at most every ~60 s. */
  token?: () => Promise<string | undefined>;
  basic?: { username: string; password: string };
  /** Where this came from, for messages: "in-cluster service account" or "kubeconfig /path (context x)". */
  source: string;
  namespace?: string;
}

export type ReadFile = (path: string) => Promise<string>;

export interface KubeconfigOptions {
  /** The file the text came from: names it in errors, and relative paths resolve against its directory. */
  path: string;
  /** The context to use instead of current-context. */
  context?: string;
  readFile?: ReadFile;
  /** Clock for the token file cache (tests). */
  now?: () => number;
}

/**
 * Kubeconfig files, the certificate, key and token files they name, and the service account's:
 * a kubeconfig with many embedded certificates is a few hundred KB, so 4 MiB is far past any,
 * and a FIFO, a device or a hung mount is refused instead of hanging the agent (core/fs).
 */
const KUBE_FILE_MAX_BYTES = 4 * 1024 * 1024;
const defaultReadFile: ReadFile = (p) => readTextFile(p, { maxBytes: KUBE_FILE_MAX_BYTES });

/** One kubeconfig file's text, resolved to the connection of its current (or the given) context. */
export async function parseKubeconfig(text: string, opts: KubeconfigOptions): Promise<KubeConnection> {
  const file = parseKubeconfigFile(text, resolvePath(opts.path));
  return resolveKubeconfig([file], { context: opts.context, readFile: opts.readFile ?? defaultReadFile, now: opts.now ?? Date.now });
}

const DEFAULT_SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface InClusterOptions {
  env?: NodeJS.ProcessEnv;
  serviceAccountDir?: string;
  readFile?: ReadFile;
  now?: () => number;
}

function errnoCode(err: unknown): string | undefined {
  if (err instanceof FileReadError) return err.problem === "missing" ? "ENOENT" : undefined;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

async function readOptional(readFile: ReadFile, path: string): Promise<string | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw new KubeConfigError(`in-cluster service account: cannot read ${path}: ${readFailure(err)}`, { file: path });
  }
}

/** The pod's own service account: KUBERNETES_SERVICE_HOST/PORT and the mounted token, CA and namespace. */
export async function inClusterConnection(opts: InClusterOptions = {}): Promise<KubeConnection> {
  const env = opts.env ?? process.env;
  const dir = opts.serviceAccountDir ?? DEFAULT_SERVICE_ACCOUNT_DIR;
  const readFile = opts.readFile ?? defaultReadFile;
  const host = env.KUBERNETES_SERVICE_HOST?.trim();
  const port = env.KUBERNETES_SERVICE_PORT?.trim();
  if (host === undefined || host === "")
    throw new KubeConfigError("in-cluster service account: KUBERNETES_SERVICE_HOST is not set", { key: "KUBERNETES_SERVICE_HOST" });
  if (port === undefined || port === "") {
    throw new KubeConfigError("in-cluster service account: KUBERNETES_SERVICE_PORT is not set (KUBERNETES_SERVICE_HOST is)", {
      key: "KUBERNETES_SERVICE_PORT",
    });
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new KubeConfigError(`in-cluster service account: KUBERNETES_SERVICE_PORT ${JSON.stringify(port.slice(0, 20))} is not a port number`, {
      key: "KUBERNETES_SERVICE_PORT",
    });
  }
  // An IPv6 address needs brackets in a URL; a name or IPv4 address must not get them.
  const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const server = `https://${hostPart}:${port}`;
  try {
    new URL(server);
  } catch {
    throw new KubeConfigError(`in-cluster service account: KUBERNETES_SERVICE_HOST ${JSON.stringify(host.slice(0, 80))} does not make a URL`, {
      key: "KUBERNETES_SERVICE_HOST",
    });
  }

  const tokenPath = join(dir, "token");
  const firstToken = (await readOptional(readFile, tokenPath))?.trim();
  if (firstToken === undefined) {
    throw new KubeConfigError(`in-cluster service account: token file ${tokenPath} does not exist (is automountServiceAccountToken false for this pod?)`, {
      file: tokenPath,
    });
  }
  if (firstToken === "") throw new KubeConfigError(`in-cluster service account: token file ${tokenPath} is empty`, { file: tokenPath });
  rememberSecret(firstToken);
  const ca = await readOptional(readFile, join(dir, "ca.crt"));
  const namespace = (await readOptional(readFile, join(dir, "namespace")))?.trim();

  const conn: KubeConnection = {
    server,
    token: fileToken({ path: tokenPath, readFile, now: opts.now ?? Date.now, initial: firstToken, describe: "in-cluster service account token file" }),
    source: "in-cluster service account",
  };
  // Without ca.crt the system roots are all there is; the TLS error will say so.
  if (ca !== undefined && ca.trim() !== "") conn.ca = ca;
  if (namespace !== undefined && namespace !== "") conn.namespace = namespace;
  return conn;
}

export interface LoadOptions {
  env: NodeJS.ProcessEnv;
  /** A kubeconfig path (or a list like KUBECONFIG's); overrides the KUBECONFIG variable. */
  kubeconfig?: string;
  context?: string;
  serviceAccountDir?: string;
  readFile?: ReadFile;
  now?: () => number;
}

/**
 * KUBECONFIG (a list like PATH: the first file that sets a name wins, current-context from the
 * first file that sets it) or the `kubeconfig` option; else the in-cluster service account when
 * KUBERNETES_SERVICE_HOST is set; else undefined, with no error: this machine is not told about
 * any cluster.
 */
export async function loadKubeConnection(opts: LoadOptions): Promise<KubeConnection | undefined> {
  const readFile = opts.readFile ?? defaultReadFile;
  const now = opts.now ?? Date.now;
  const explicit = opts.kubeconfig !== undefined && opts.kubeconfig.trim() !== "";
  const list = explicit ? opts.kubeconfig : opts.env.KUBECONFIG;
  if (list !== undefined && list.trim() !== "") {
    const paths = list
      .split(delimiter)
      .filter((p) => p.trim() !== "")
      .map((p) => resolvePath(p));
    const files: KubeconfigFile[] = [];
    const missing: string[] = [];
    for (const path of paths) {
      let text: string;
      try {
        text = await readFile(path);
      } catch (err) {
        const code = errnoCode(err);
        // Like kubectl, a KUBECONFIG entry that does not exist is passed over; a named file must exist.
        if (code === "ENOENT" && !explicit) {
          missing.push(path);
          continue;
        }
        throw new KubeConfigError(`kubeconfig ${path}: cannot read: ${readFailure(err)}`, { file: path });
      }
      files.push(parseKubeconfigFile(text, path));
    }
    if (files.length === 0) {
      throw new KubeConfigError(`KUBECONFIG names no file that exists (${missing.join(", ")})`, { file: missing[0], key: "KUBECONFIG" });
    }
    return resolveKubeconfig(files, { context: opts.context, readFile, now });
  }
  const host = opts.env.KUBERNETES_SERVICE_HOST;
  if (host !== undefined && host.trim() !== "") {
    return inClusterConnection({
      env: opts.env,
      readFile,
      now,
      ...(opts.serviceAccountDir !== undefined ? { serviceAccountDir: opts.serviceAccountDir } : {}),
    });
  }
  return undefined;
}
