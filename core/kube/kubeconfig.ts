/**
 * kubeconfig files (the format kubectl reads): named clusters, users and contexts, merged over a
 * KUBECONFIG list, resolved for one context to a KubeConnection. Errors name the file, the
 * context and the key, and never quote a token, password or key.
 */

import { dirname, isAbsolute, join } from "node:path";
import { rememberBasicAuth, rememberSecret } from "../log/index.js";
import { lazyModule } from "../process/index.js";
import type { KubeConnection, ReadFile } from "./config.js";
import { KubeConfigError, readFailure } from "./config-error.js";
import { fileToken } from "./config-token.js";

const yaml = lazyModule<typeof import("yaml")>("yaml");

type Plain = Record<string, unknown>;
type Section = "clusters" | "users" | "contexts";

interface Entry {
  name: string;
  body: Plain;
  /** The file that defined it: errors name it, relative paths resolve against its directory. */
  file: string;
}

export interface KubeconfigFile {
  path: string;
  clusters: Map<string, Entry>;
  users: Map<string, Entry>;
  contexts: Map<string, Entry>;
  currentContext: string | undefined;
}

const BODY_KEY: Record<Section, string> = { clusters: "cluster", users: "user", contexts: "context" };

function isPlain(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "a list" : typeof value === "string" ? "a string" : `a ${typeof value}`;
}

/** Parses one file's YAML (or JSON) into its named entries; a structural problem is a KubeConfigError naming the key. */
export function parseKubeconfigFile(text: string, path: string): KubeconfigFile {
  const fail = (key: string, problem: string): never => {
    throw new KubeConfigError(`kubeconfig ${path}: ${key}: ${problem}`, { file: path, key });
  };
  let doc: unknown;
  try {
    doc = yaml().parse(text, { prettyErrors: true, logLevel: "error" });
  } catch (err) {
    // The YAML library's message quotes the offending line, which may hold a credential: keep only where it is.
    const pos = (err as { linePos?: { line: number; col: number }[] } | null)?.linePos?.[0];
    const code = (err as { code?: unknown } | null)?.code;
    throw new KubeConfigError(
      `kubeconfig ${path}: not valid YAML${pos !== undefined ? ` at line ${pos.line}, column ${pos.col}` : ""}${typeof code === "string" ? ` (${code})` : ""}`,
      { file: path },
    );
  }
  const file: KubeconfigFile = { path, clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: undefined };
  // An empty file is an empty config, as kubectl treats it.
  if (doc === null || doc === undefined) return file;
  if (!isPlain(doc)) return fail("(top level)", `expected a mapping, got ${kind(doc)}`);
  for (const section of ["clusters", "users", "contexts"] as const) {
    const list = doc[section];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) fail(section, `expected a list, got ${kind(list)}`);
    for (const [i, item] of (list as unknown[]).entries()) {
      if (!isPlain(item)) return fail(`${section}[${i}]`, `expected a mapping, got ${kind(item)}`);
      const name = item.name;
      if (typeof name !== "string" || name === "") return fail(`${section}[${i}].name`, name === undefined ? "missing" : "expected a non-empty string");
      const body = item[BODY_KEY[section]];
      if (!isPlain(body))
        return fail(`${section}[${JSON.stringify(name)}].${BODY_KEY[section]}`, body === undefined ? "missing" : `expected a mapping, got ${kind(body)}`);
      // Within a file, as across files, the first definition of a name wins.
      if (!file[section].has(name)) file[section].set(name, { name, body, file: path });
    }
  }
  const current = doc["current-context"];
  if (current !== undefined && current !== null) {
    if (typeof current !== "string") fail("current-context", `expected a string, got ${kind(current)}`);
    else if (current !== "") file.currentContext = current;
  }
  return file;
}

interface ResolveOptions {
  context: string | undefined;
  readFile: ReadFile;
  now: () => number;
}

/** Merges files (first definition of a name wins) and resolves one context to a connection. */
export async function resolveKubeconfig(files: KubeconfigFile[], opts: ResolveOptions): Promise<KubeConnection> {
  const find = (section: Section, name: string): Entry | undefined => {
    for (const f of files) {
      const e = f[section].get(name);
      if (e !== undefined) return e;
    }
    return undefined;
  };
  const allPaths = files.map((f) => f.path).join(":");
  const contextName = opts.context ?? files.find((f) => f.currentContext !== undefined)?.currentContext;
  if (contextName === undefined) {
    const names = files.flatMap((f) => [...f.contexts.keys()]);
    throw new KubeConfigError(
      `kubeconfig ${allPaths}: current-context: not set and no context was given${names.length > 0 ? ` (contexts: ${names.slice(0, 10).join(", ")})` : " (the file defines no contexts)"}`,
      { file: files[0]?.path, key: "current-context" },
    );
  }
  const context = find("contexts", contextName);
  if (context === undefined) {
    const names = [...new Set(files.flatMap((f) => [...f.contexts.keys()]))];
    const origin = opts.context !== undefined ? "the context asked for" : "current-context";
    throw new KubeConfigError(
      `kubeconfig ${allPaths}: contexts: no context named ${JSON.stringify(contextName)} (${origin}); ${names.length > 0 ? `defined: ${names.slice(0, 10).join(", ")}` : "none are defined"}`,
      { file: files[0]?.path, context: contextName, key: opts.context !== undefined ? "contexts" : "current-context" },
    );
  }
  const where = (entry: Entry) => `kubeconfig ${entry.file} (context ${contextName})`;
  const fail = (entry: Entry, key: string, problem: string): never => {
    throw new KubeConfigError(`${where(entry)}: ${key}: ${problem}`, { file: entry.file, context: contextName, key });
  };
  const ctxKey = `contexts[${JSON.stringify(contextName)}].context`;
  const clusterName = context.body.cluster;
  if (typeof clusterName !== "string" || clusterName === "")
    return fail(context, `${ctxKey}.cluster`, clusterName === undefined ? "missing" : "expected a cluster name");
  const userName = context.body.user;
  if (userName !== undefined && userName !== null && typeof userName !== "string") return fail(context, `${ctxKey}.user`, "expected a user name");
  const namespace = context.body.namespace;

  const cluster = find("clusters", clusterName);
  if (cluster === undefined) return fail(context, `${ctxKey}.cluster`, `no cluster named ${JSON.stringify(clusterName)} in clusters`);
  let user: Entry | undefined;
  if (typeof userName === "string" && userName !== "") {
    user = find("users", userName);
    if (user === undefined) return fail(context, `${ctxKey}.user`, `no user named ${JSON.stringify(userName)} in users`);
  }

  const conn: KubeConnection = { server: "", source: `kubeconfig ${context.file} (context ${contextName})` };
  await applyCluster(conn, cluster, (key, problem) => fail(cluster, `clusters[${JSON.stringify(cluster.name)}].cluster.${key}`, problem), opts);
  if (user !== undefined) {
    const u = user;
    await applyUser(conn, u, (key, problem) => fail(u, `users[${JSON.stringify(u.name)}].user.${key}`, problem), opts);
  }
  if (typeof namespace === "string" && namespace !== "") conn.namespace = namespace;
  return conn;
}

type Fail = (key: string, problem: string) => never;

function stringKey(body: Plain, key: string, fail: Fail): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") return fail(key, `expected a string, got ${kind(value)}`);
  return value === "" ? undefined : value;
}

function booleanKey(body: Plain, key: string, fail: Fail): boolean {
  const value = body[key];
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  return fail(key, `expected true or false, got ${kind(value)}`);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Base64 PEM data (certificate-authority-data, client-*-data); the text itself never reaches a message. */
function pemData(body: Plain, key: string, fail: Fail, what: string): string | undefined {
  const raw = stringKey(body, key, fail);
  if (raw === undefined) return undefined;
  const compact = raw.replace(/\s+/g, "");
  if (compact.length % 4 === 1 || !BASE64.test(compact)) return fail(key, "not valid base64");
  const text = Buffer.from(compact, "base64").toString("utf8");
  if (!text.includes("-----BEGIN")) return fail(key, `decodes to something that is not a PEM ${what}`);
  return text;
}

async function pemFile(body: Plain, key: string, entry: Entry, fail: Fail, opts: ResolveOptions, what: string): Promise<string | undefined> {
  const raw = stringKey(body, key, fail);
  if (raw === undefined) return undefined;
  const path = isAbsolute(raw) ? raw : join(dirname(entry.file), raw);
  let text: string;
  try {
    text = await opts.readFile(path);
  } catch (err) {
    return fail(key, `cannot read ${path}: ${readFailure(err)}`);
  }
  if (!text.includes("-----BEGIN")) return fail(key, `${path} does not hold a PEM ${what}`);
  return text;
}

async function applyCluster(conn: KubeConnection, entry: Entry, fail: Fail, opts: ResolveOptions): Promise<void> {
  const body = entry.body;
  const server = stringKey(body, "server", fail);
  if (server === undefined) return fail("server", "missing");
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return fail("server", `${JSON.stringify(server.slice(0, 100))} is not a URL (expected https://host:port)`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return fail("server", `${JSON.stringify(server.slice(0, 100))} is not an http(s) URL`);
  if (url.username !== "" || url.password !== "") return fail("server", "must not carry a user name or password; put credentials in the user entry");
  conn.server = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;

  if (stringKey(body, "proxy-url", fail) !== undefined) {
    return fail(
      "proxy-url",
      "connecting through a proxy is not supported; the agent connects to the server directly (remove proxy-url, or run the agent where the server is reachable)",
    );
  }
  const ca =
    pemData(body, "certificate-authority-data", fail, "certificate") ?? (await pemFile(body, "certificate-authority", entry, fail, opts, "certificate"));
  const insecure = booleanKey(body, "insecure-skip-tls-verify", fail);
  if (insecure && ca !== undefined) {
    return fail("insecure-skip-tls-verify", "is true while a certificate authority is also given; use one or the other (kubectl refuses this too)");
  }
  if (ca !== undefined) conn.ca = ca;
  if (insecure) conn.insecureSkipTlsVerify = true;
  const serverName = stringKey(body, "tls-server-name", fail);
  if (serverName !== undefined) conn.tlsServerName = serverName;
}

const UNSUPPORTED_INSTEAD =
  "give this user a service-account token (`token` or `tokenFile`) or a client certificate (`client-certificate`/`client-key`) instead";

async function applyUser(conn: KubeConnection, entry: Entry, fail: Fail, opts: ResolveOptions): Promise<void> {
  const body = entry.body;
  const token = stringKey(body, "token", fail);
  const tokenFileRaw = stringKey(body, "tokenFile", fail);
  const cert = pemData(body, "client-certificate-data", fail, "certificate") ?? (await pemFile(body, "client-certificate", entry, fail, opts, "certificate"));
  const key = pemData(body, "client-key-data", fail, "private key") ?? (await pemFile(body, "client-key", entry, fail, opts, "private key"));
  const username = stringKey(body, "username", fail);
  const password = stringKey(body, "password", fail);
  // Every output scrubs these from now on (core/log); an API server's error may repeat them.
  rememberBasicAuth(username, password);
  rememberSecret(token);
  rememberSecret(key);

  for (const impersonate of ["as", "as-uid", "as-groups", "as-user-extra"]) {
    if (body[impersonate] !== undefined && body[impersonate] !== null)
      return fail(impersonate, "impersonation is not supported; use the identity's own credentials");
  }
  const usable = token !== undefined || tokenFileRaw !== undefined || cert !== undefined || username !== undefined;
  // Plugins run other programs for a credential; with a usable credential next to them they are not needed.
  if (!usable && isPlain(body.exec)) {
    const command = typeof body.exec.command === "string" ? body.exec.command.split("/").pop() : undefined;
    return fail(
      "exec",
      `exec credential plugins${command !== undefined ? ` (this one runs ${JSON.stringify(command.slice(0, 60))})` : ""} are not supported, e.g. aws eks get-token or gke-gcloud-auth-plugin; ${UNSUPPORTED_INSTEAD}`,
    );
  }
  if (!usable && isPlain(body["auth-provider"])) {
    const name = body["auth-provider"].name;
    return fail(
      "auth-provider",
      `auth providers${typeof name === "string" ? ` (this one is ${JSON.stringify(name.slice(0, 40))})` : ""} are not supported (like exec plugins such as aws eks get-token or gke-gcloud-auth-plugin); ${UNSUPPORTED_INSTEAD}`,
    );
  }
  if ((cert === undefined) !== (key === undefined)) {
    return cert === undefined
      ? fail("client-certificate", "missing: client-key is set without a client certificate")
      : fail("client-key", "missing: client-certificate is set without its key");
  }
  if ((username === undefined) !== (password === undefined))
    return username === undefined
      ? fail("username", "missing: password is set without a username")
      : fail("password", "missing: username is set without a password");

  if (cert !== undefined && key !== undefined) {
    conn.clientCert = cert;
    conn.clientKey = key;
  }
  if (tokenFileRaw !== undefined) {
    const path = isAbsolute(tokenFileRaw) ? tokenFileRaw : join(dirname(entry.file), tokenFileRaw);
    let initial: string | undefined;
    try {
      initial = (await opts.readFile(path)).trim();
      rememberSecret(initial);
    } catch (err) {
      // A token next to the file covers for it, as kubectl's does.
      if (token === undefined) return fail("tokenFile", `cannot read ${path}: ${readFailure(err)}`);
    }
    if (initial === "" && token === undefined) return fail("tokenFile", `${path} is empty`);
    conn.token = fileToken({
      path,
      readFile: opts.readFile,
      now: opts.now,
      describe: "kubeconfig token file",
      ...(initial !== undefined && initial !== "" ? { initial } : {}),
      ...(token !== undefined ? { fallback: token } : {}),
    });
  } else if (token !== undefined) {
    conn.token = () => Promise.resolve(token);
  }
  if (username !== undefined && password !== undefined) {
    if (conn.token !== undefined) return fail("username", "a user has either a token or a username and password, not both");
    conn.basic = { username, password };
  }
}
