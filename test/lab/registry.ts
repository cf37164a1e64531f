// Runs the real CNCF distribution registry (Debian's docker-registry) on loopback,
// with storage inside the lab directory so every lab starts empty.

import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort } from "./ports.js";
import { requireBinary, run, startDaemon, tailFile, waitUntil, SYSTEM_PATH, type Daemon } from "./process.js";

const REGISTRY_BIN = "/usr/bin/docker-registry";
const HTPASSWD_BIN = "/usr/bin/htpasswd";

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryServer {
  host: string; // 127.0.0.1:PORT
  url: string; // http://127.0.0.1:PORT
  daemon: Daemon;
  logFile: string;
  auth: Credentials | undefined;
}

export async function startRegistry(labDir: string, auth: Credentials | undefined): Promise<RegistryServer> {
  requireBinary(REGISTRY_BIN, "the lab needs the CNCF distribution registry: apt-get install docker-registry");
  const dir = join(labDir, "registry");
  mkdirSync(join(dir, "storage"), { recursive: true });
  const logFile = join(dir, "registry.log");

  let htpasswdFile: string | undefined;
  if (auth) {
    requireBinary(HTPASSWD_BIN, "the lab's authenticated registry needs htpasswd: apt-get install apache2-utils");
    htpasswdFile = join(dir, "htpasswd");
    // The registry only accepts bcrypt entries, hence -B.
    writeFileSync(htpasswdFile, await run(HTPASSWD_BIN, ["-Bbn", auth.username, auth.password]));
  }

  // The free port is released before the registry binds it; on the rare collision, try again.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const configFile = join(dir, "config.yml");
    writeFileSync(configFile, registryConfig({ host, storageDir: join(dir, "storage"), htpasswdFile }));
    writeFileSync(logFile, `--- starting registry on ${host}\n`, { flag: "a" });
    const daemon = startDaemon(REGISTRY_BIN, ["serve", configFile], { logFile, env: { PATH: SYSTEM_PATH } });
    const url = `http://${host}`;
    const ready = await waitUntil(async () => daemon.exit !== undefined || (await answers(url)), 15_000);
    if (ready && daemon.exit === undefined) return { host, url, daemon, logFile, auth };

    const log = tailFile(logFile);
    if (daemon.exit === undefined) process.kill(daemon.pid, "SIGKILL");
    if (attempt < 3 && log.includes("address already in use")) continue;
    const why = daemon.exit ? `exited (${daemon.exit.error?.message ?? `code ${daemon.exit.code}, signal ${daemon.exit.signal}`})` : "did not answer GET /v2/ within 15 s";
    throw new Error(`lab registry ${why}; log ${logFile}:\n${log}`);
  }
}

function registryConfig(opts: { host: string; storageDir: string; htpasswdFile: string | undefined }): string {
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
    http: { addr: opts.host, secret: randomBytes(16).toString("hex") },
    ...(opts.htpasswdFile ? { auth: { htpasswd: { realm: "pullmedic-lab", path: opts.htpasswdFile } } } : {}),
  });
}

// 401 counts as up: an authenticated registry challenges even the version check.
async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 200 || response.status === 401;
  } catch {
    return false;
  }
}
