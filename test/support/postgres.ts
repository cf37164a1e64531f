// A throwaway PostgreSQL server for one test file: initdb in a temporary directory, its own port,
// listening on 127.0.0.1 only with its unix socket in that directory, run as the `postgres` OS
// user (PostgreSQL refuses to run as root). Nothing assumes a server is already running. Needs
// root (to become `postgres`) and Debian's `postgresql` package: lab tests only.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { closedPort } from "./net.js";
import { waitFor } from "./wait.js";

export interface RunningPostgres {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  password: string;
  port: number;
  /** With tls: the CA file that signed the server's certificate (for 127.0.0.1). */
  caFile?: string;
  /** Creates the database `name` (letters, digits, "_") and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and starts it again on the same data and port. */
  restart(): Promise<void>;
  /** Stops the server (fast shutdown) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** The newest PostgreSQL installed the Debian way (/usr/lib/postgresql/<major>/bin). */
function binDir(): string {
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)) : [];
  const major = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (major === undefined || !existsSync(join(root, major, "bin", "postgres"))) {
    throw new Error(`no PostgreSQL under ${root}: install Debian's postgresql package (apt-get install -y postgresql, or run bash .ci/run)`);
  }
  return join(root, major, "bin");
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** Runs a PostgreSQL binary as the postgres user (setpriv execs it: the pid is the server's). */
function asPostgres(bin: string, args: string[]): [string, string[]] {
  return ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--reset-env", bin, ...args]];
}

/** A CA and a server certificate for 127.0.0.1 it signed, made with openssl in dir (owned by postgres). */
function makeCertificates(dir: string, uid: number, gid: number): { caFile: string; args: string[] } {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=pullmedic test CA", "-keyout", f("ca.key"), "-out", f("ca.crt"));
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", f("server.key"), "-out", f("server.csr"));
  writeFileSync(f("ext"), "subjectAltName=IP:127.0.0.1\n");
  ssl(
    "x509",
    "-req",
    "-in",
    f("server.csr"),
    "-CA",
    f("ca.crt"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    f("ext"),
    "-out",
    f("server.crt"),
  );
  for (const name of ["server.key", "server.crt"]) chownSync(f(name), uid, gid);
  chmodSync(f("server.key"), 0o600);
  return { caFile: f("ca.crt"), args: ["-c", "ssl=on", "-c", `ssl_cert_file=${f("server.crt")}`, "-c", `ssl_key_file=${f("server.key")}`] };
}

/** Starts a fresh server (with TLS when asked); throws, saying why, when it cannot. */
export async function start(opts: { tls?: boolean } = {}): Promise<RunningPostgres> {
  if (process.getuid?.() !== 0) throw new Error("a throwaway PostgreSQL is started as the postgres user: run the lab tests as root");
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "pm-postgres-"));
  const data = join(dir, "data");
  const password = randomBytes(12).toString("hex");
  const { uid, gid } = postgresIds();
  chownSync(dir, uid, gid);
  chmodSync(dir, 0o700);
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  chownSync(pwfile, uid, gid);
  const [cmd, initArgs] = asPostgres(join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    `--pwfile=${pwfile}`,
    "--auth-host=scram-sha-256",
    "--auth-local=trust",
    "--no-sync",
    "-E",
    "UTF8",
    "--locale=C",
  ]);
  try {
    execFileSync(cmd, initArgs, { stdio: "pipe" });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${String((err as { stderr?: unknown }).stderr ?? err)}`);
  }
  const port = await closedPort();
  const tls = opts.tls ? makeCertificates(dir, uid, gid) : undefined;
  const [run, runArgs] = asPostgres(join(bin, "postgres"), [
    "-D",
    data,
    "-p",
    String(port),
    "-k",
    dir,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "fsync=off",
    "-c",
    "max_connections=200",
    ...(tls?.args ?? []),
  ]);
  let server: ChildProcess;
  let log = "";
  let stop: () => Promise<void>;
  const launch = async () => {
    const child = spawn(run, runArgs, { stdio: ["ignore", "ignore", "pipe"] });
    server = child;
    child.stderr?.on("data", (b: Buffer) => {
      log = (log + b.toString()).slice(-4000);
    });
    stop = stopper(child, dir);
    try {
      await waitFor("PostgreSQL to accept connections", () => child.exitCode === null && isReady(bin, dir, port), { timeoutMs: 30_000 });
    } catch (err) {
      await stop();
      throw new Error(`PostgreSQL did not start: ${err instanceof Error ? err.message : String(err)}\n${log}`);
    }
  };
  await launch();
  const restart = async () => {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGINT");
    await exited;
    await launch();
  };
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const createDatabase = async (name: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a database name these tests make: ${name}`);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return url.replace(/\/postgres$/, `/${name}`);
  };
  return { url, password, port, createDatabase, restart, stop: () => stop(), ...(tls ? { caFile: tls.caFile } : {}) };
}

function isReady(bin: string, dir: string, port: number): boolean {
  try {
    execFileSync(join(bin, "pg_isready"), ["-q", "-h", dir, "-p", String(port)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function stopper(server: ChildProcess, dir: string): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= new Promise<void>((resolve) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (server.exitCode !== null || server.signalCode !== null) return done();
      server.once("exit", done);
      // SIGINT: PostgreSQL's fast shutdown (clients disconnected, no waiting for them).
      server.kill("SIGINT");
    });
    return stopping;
  };
}
