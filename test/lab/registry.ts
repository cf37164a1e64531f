// Runs the real CNCF distribution registry (Debian's docker-registry) on loopback,
// with storage inside the lab directory so every lab starts empty.

import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort } from "./ports.js";
import { type Daemon, requireBinary, run, SYSTEM_PATH, signal, startDaemon, tailFile, waitUntil } from "./process.js";

const REGISTRY_BIN = "/usr/bin/docker-registry";
const HTPASSWD_BIN = "/usr/bin/htpasswd";

export interface Credentials {
  username: string;
  password: string;
}

/** Certificate and key (PEM files) the registry serves HTTPS with. */
export interface RegistryTls {
  certificate: string;
  key: string;
}

export interface RegistryServer {
  host: string; // 127.0.0.1:PORT
  url: string; // http://127.0.0.1:PORT, or https:// with tls
  daemon: Daemon;
  logFile: string;
  auth: Credentials | undefined;
  /**
   * Where to push: `url`, or with tls a second, plain-http registry process over the same
   * storage. The lab's push client uses fetch, which cannot be told to trust the lab CA (let
   * alone an expired or wrong-host certificate), and pushing is setup, not the thing tested.
   */
  pushUrl: string;
  pushDaemon: Daemon | undefined;
}

export async function startRegistry(labDir: string, auth: Credentials | undefined, tls?: RegistryTls): Promise<RegistryServer> {
  requireBinary(REGISTRY_BIN, "the lab needs the CNCF distribution registry: apt-get install docker-registry");
  const dir = join(labDir, "registry");
  const storageDir = join(dir, "storage");
  mkdirSync(storageDir, { recursive: true });

  let htpasswdFile: string | undefined;
  if (auth) {
    requireBinary(HTPASSWD_BIN, "the lab's authenticated registry needs htpasswd: apt-get install apache2-utils");
    htpasswdFile = join(dir, "htpasswd");
    // The registry only accepts bcrypt entries, hence -B.
    writeFileSync(htpasswdFile, await run(HTPASSWD_BIN, ["-Bbn", auth.username, auth.password]));
  }

  // Upload state is signed with this secret; both processes of a TLS registry share it.
  const secret = randomBytes(16).toString("hex");
  const common = { storageDir, htpasswdFile, secret };
  const main = await startProcess(dir, "registry", { ...common, tls });
  if (!tls) return { host: main.host, url: main.url, daemon: main.daemon, logFile: main.logFile, auth, pushUrl: main.url, pushDaemon: undefined };
  try {
    const push = await startProcess(dir, "registry-push", { ...common, tls: undefined });
    return { host: main.host, url: main.url, daemon: main.daemon, logFile: main.logFile, auth, pushUrl: push.url, pushDaemon: push.daemon };
  } catch (error) {
    // The caller never learns of the first process, so it cannot stop it.
    signal(main.daemon.pid, "SIGKILL");
    throw error;
  }
}

async function startProcess(
  dir: string,
  name: string,
  opts: { storageDir: string; htpasswdFile: string | undefined; secret: string; tls: RegistryTls | undefined },
): Promise<{ host: string; url: string; daemon: Daemon; logFile: string }> {
  const logFile = join(dir, `${name}.log`);
  const configFile = join(dir, name === "registry" ? "config.yml" : `${name}.yml`);
  // The free port is released before the registry binds it; on the rare collision, try again.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    writeFileSync(configFile, registryConfig({ host, ...opts }));
    writeFileSync(logFile, `--- starting registry on ${host}\n`, { flag: "a" });
    const daemon = startDaemon(REGISTRY_BIN, ["serve", configFile], { logFile, env: { PATH: SYSTEM_PATH } });
    const url = `${opts.tls ? "https" : "http"}://${host}`;
    const ready = await waitUntil(async () => daemon.exit !== undefined || (await answers(url)), 15_000);
    if (ready && daemon.exit === undefined) return { host, url, daemon, logFile };

    const log = tailFile(logFile);
    if (daemon.exit === undefined) process.kill(daemon.pid, "SIGKILL");
    if (attempt < 3 && log.includes("address already in use")) continue;
    const why = daemon.exit
      ? `exited (${daemon.exit.error?.message ?? `code ${daemon.exit.code}, signal ${daemon.exit.signal}`})`
      : "did not answer GET /v2/ within 15 s";
    throw new Error(`lab registry ${why}; log ${logFile}:\n${log}`);
  }
}

function registryConfig(opts: { host: string; storageDir: string; htpasswdFile: string | undefined; secret: string; tls: RegistryTls | undefined }): string {
  return stringify({
    version: 0.1,
    log: { level: "info", formatter: "text" },
    storage: {
      filesystem: { rootdirectory: opts.storageDir },
      delete: { enabled: true },
      // Purging runs on a timer in the background; tests want storage to change only when they change it.
      maintenance: { uploadpurging: { enabled: false } },
    },
    // Passing a secret silences the registry's warning about making one up itself.
    http: {
      addr: opts.host,
      secret: opts.secret,
      ...(opts.tls ? { tls: { certificate: opts.tls.certificate, key: opts.tls.key } } : {}),
    },
    ...(opts.htpasswdFile ? { auth: { htpasswd: { realm: "pullmedic-lab", path: opts.htpasswdFile } } } : {}),
  });
}

// 401 counts as up: an authenticated registry challenges even the version check.
async function answers(url: string): Promise<boolean> {
  if (url.startsWith("https:")) return answersTls(url);
  try {
    const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 200 || response.status === 401;
  } catch {
    return false;
  }
}

// Without verification: the lab serves expired and wrong-host certificates on purpose, and
// readiness is about the registry answering, not about its certificate.
function answersTls(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest(`${url}/v2/`, { rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}
