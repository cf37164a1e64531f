// A pod of daemonset.yaml, run as a real process on this machine with what the manifest gives it:
// the image's entrypoint and the container's args, its environment (downward API, Secret and
// ConfigMap references resolved), its volumes as directories (ConfigMap and Secret data written out,
// projected service-account tokens as the API issued them, hostPaths mapped onto the lab's), its
// securityContext (user, group, fsGroup, only the capabilities it adds, no privilege escalation, a
// read-only root filesystem, read-only mounts) and its own network namespace with only loopback in
// it, where the Service's DNS name resolves to loopback.
//
// Nothing it runs can reach beyond this machine: the namespace has no route out and no DNS server,
// so the agent's probes of docker.io and registry.k8s.io fail at once instead of leaving.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { onJsonLines } from "../support/json-lines.js";
import { find, type K8sObject, objectData } from "./manifest.js";

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A network namespace with loopback up, an /etc/hosts of our own and a resolver that answers nothing. */
export interface Netns {
  name: string;
  /** Serves 127.0.0.1:PORT of the namespace on a unix socket in `dir`, for the test to reach. */
  forward(ports: number[], dir: string): Promise<(port: number, path: string) => Promise<{ status: number; text: string }>>;
  /** Makes 127.0.0.1:`port` inside the namespace reach 127.0.0.1:`target` of this machine (the API stand-in), through a unix socket in `dir`. */
  expose(port: number, target: number, dir: string): Promise<void>;
  remove(): void;
}

/** A relay inside the namespace: each named port (or unix socket) accepted is piped to the other side. */
const RELAY = `const net=require("net");const [mode,dir,...ports]=process.argv.slice(1);for(const p of ports){const inward=mode==="in";const server=net.createServer((c)=>{const u=inward?net.connect(dir+"/in-"+p+".sock"):net.connect(Number(p),"127.0.0.1");c.pipe(u).pipe(c);u.on("error",()=>c.destroy());c.on("error",()=>u.destroy());});if(inward)server.listen(Number(p),"127.0.0.1");else server.listen(dir+"/"+p+".sock");}console.log("ready");`;

export function requirePodTools(): void {
  for (const tool of ["ip", "unshare", "setpriv", "mount"]) {
    const r = spawnSync("sh", ["-c", `command -v ${tool}`]);
    if (r.status !== 0) throw new Error(`the deploy contract test needs ${tool} (Debian: iproute2, util-linux, mount)`);
  }
}

/** Namespaces left by a test process that died before cleaning up. */
function reapStaleNetns(): void {
  const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  for (const m of list.matchAll(/^(pm-deploy-(\d+)-\w+)/gm)) {
    const [, name, pid] = m;
    let alive = true;
    try {
      process.kill(Number(pid), 0);
    } catch {
      alive = false;
    }
    if (!alive && name) {
      spawnSync("ip", ["netns", "del", name]);
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    }
  }
}

export function createNetns(hosts: Record<string, string>): Netns {
  reapStaleNetns();
  const name = `pm-deploy-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  // ip netns exec bind-mounts /etc/netns/NAME/* over /etc/* for the processes it starts.
  const etc = `/etc/netns/${name}`;
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, "hosts"), `${["127.0.0.1 localhost", ...Object.entries(hosts).map(([host, ip]) => `${ip} ${host}`)].join("\n")}\n`);
  // A resolver on loopback where nothing listens: every other name fails at once, nothing leaves.
  writeFileSync(join(etc, "resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const relay = async (mode: "in" | "out", dir: string, ports: number[]) => {
    const child = spawn("ip", ["netns", "exec", name, process.execPath, "-e", RELAY, mode, dir, ...ports.map(String)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`the loopback relay exited with ${code}`)));
    });
  };
  const remove = () => {
    for (const server of servers) server.close();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    spawnSync("ip", ["netns", "del", name]);
    rmSync(etc, { recursive: true, force: true });
  };
  try {
    run("ip", ["netns", "add", name]);
    run("ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"]);
  } catch (err) {
    remove();
    throw err;
  }
  return {
    name,
    remove,
    async expose(port, target, dir) {
      // Test machinery, not part of the pod: this machine's end of the socket, then the relay inside.
      const server = createServer((c) => {
        const u = connect(target, "127.0.0.1");
        c.pipe(u).pipe(c);
        u.on("error", () => c.destroy());
        c.on("error", () => u.destroy());
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => server.once("error", reject).listen(join(dir, `in-${port}.sock`), resolve));
      await relay("in", dir, [port]);
    },
    async forward(ports, dir) {
      // Test machinery, not part of the pod: a relay inside the namespace from unix sockets (which
      // the test can reach) to the pod's loopback ports.
      await relay("out", dir, ports);
      return (port, path) =>
        new Promise((resolve, reject) => {
          const req = request({ socketPath: join(dir, `${port}.sock`), path, headers: { host: `127.0.0.1:${port}` }, timeout: 5000 }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (text += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          });
          req.on("timeout", () => req.destroy(new Error(`GET :${port}${path} timed out`)));
          req.on("error", reject);
          req.end();
        });
    },
  };
}

export interface VolumeDir {
  mountPath: string;
  dir: string;
  readOnly: boolean;
}

/**
 * The container's volume mounts as directories on this machine: hostPaths from `hostPaths` (every
 * hostPath the pod uses must be mapped), ConfigMaps and Secrets of `docs` written out as kubelet
 * does (one file per key, or per item; an optional one that does not exist yet as an empty
 * directory), projected service-account tokens from `issueToken` (kubelet's TokenRequest for the
 * audience), emptyDirs and claims as fresh directories. fsGroup makes the writable ones
 * group-writable as kubelet does.
 */
export function volumeDirs(
  pod: IPodSpec,
  container: IContainer,
  docs: K8sObject[],
  root: string,
  hostPaths: Record<string, string>,
  issueToken?: (audience: string) => string,
): VolumeDir[] {
  const fsGroup = pod.securityContext?.fsGroup;
  return (container.volumeMounts ?? []).map((m) => {
    const v = pod.volumes?.find((x) => x.name === m.name);
    if (!v) throw new Error(`volume ${m.name} is not declared`);
    let dir: string;
    let writable = false;
    if (v.hostPath) {
      const mapped = hostPaths[v.hostPath.path];
      if (mapped === undefined) throw new Error(`hostPath ${v.hostPath.path} has no place on this machine: map it in the test`);
      dir = mapped;
    } else {
      dir = join(root, "volumes", m.name);
      mkdirSync(dir, { recursive: true });
      const optional = (v.configMap?.optional ?? v.secret?.optional) === true;
      const exists = (kind: string, n: string) => docs.some((d) => d.kind === kind && d.metadata.name === n);
      const source = v.configMap
        ? optional && !exists("ConfigMap", v.configMap.name ?? "")
          ? undefined
          : find(docs, "ConfigMap", v.configMap.name ?? "")
        : v.secret
          ? optional && !exists("Secret", v.secret.secretName ?? "")
            ? undefined
            : find(docs, "Secret", v.secret.secretName ?? "")
          : undefined;
      const items = v.configMap?.items ?? v.secret?.items;
      if (v.projected) {
        for (const src of v.projected.sources ?? []) {
          const sat = src.serviceAccountToken;
          if (!sat || !issueToken) throw new Error(`volume ${m.name}: a projected source this test does not map`);
          writeFileSync(join(dir, sat.path), issueToken(sat.audience ?? ""), { mode: v.projected.defaultMode ?? 0o600 });
        }
      } else if (source) {
        const data = objectData(source);
        const files = items ? items.map((i) => [i.path, data[i.key]] as const) : Object.entries(data);
        for (const [path, content] of files) {
          if (content === undefined) throw new Error(`${source.kind} ${source.metadata.name} has no key for ${path}`);
          writeFileSync(join(dir, path), content, { mode: v.configMap?.defaultMode ?? v.secret?.defaultMode ?? 0o644 });
          if (fsGroup !== undefined) chownSync(join(dir, path), 0, fsGroup);
        }
      } else if (v.emptyDir || v.persistentVolumeClaim) {
        writable = true;
      } else if (optional) {
        // An optional ConfigMap or Secret that is not there: an empty directory until it is.
      } else {
        throw new Error(`volume ${m.name}: a kind this test does not map`);
      }
      chmodSync(dir, 0o755);
      if (writable && fsGroup !== undefined) {
        chownSync(dir, 0, fsGroup);
        chmodSync(dir, 0o2775);
      }
    }
    return { mountPath: m.mountPath, dir, readOnly: m.readOnly === true };
  });
}

/** A container path (or unix:// URL) → the directory of the volume that holds it; an error when none does. */
export function translatePath(value: string, volumes: VolumeDir[]): string {
  const unix = value.startsWith("unix://");
  const path = unix ? value.slice("unix://".length) : value;
  const holder = volumes
    .filter((v) => path === v.mountPath || path.startsWith(`${v.mountPath.replace(/\/$/, "")}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!holder) throw new Error(`${value} is on no volume of the container (the root filesystem is the image's)`);
  const mapped = holder.dir + path.slice(holder.mountPath.length);
  return unix ? `unix://${mapped}` : mapped;
}

/** The container's environment: values as written, downward API and references resolved. */
export function containerEnv(container: IContainer, docs: K8sObject[], downward: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) out[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) {
      const v = downward[e.valueFrom.fieldRef.fieldPath];
      if (v === undefined) throw new Error(`${e.name}: no downward API value for ${e.valueFrom.fieldRef.fieldPath}`);
      out[e.name] = v;
    } else if (e.valueFrom?.secretKeyRef) {
      const v = objectData(find(docs, "Secret", e.valueFrom.secretKeyRef.name ?? ""))[e.valueFrom.secretKeyRef.key];
      if (v === undefined) throw new Error(`${e.name}: the Secret has no key ${e.valueFrom.secretKeyRef.key}`);
      out[e.name] = v;
    } else if (e.valueFrom?.configMapKeyRef) {
      const v = objectData(find(docs, "ConfigMap", e.valueFrom.configMapKeyRef.name ?? ""))[e.valueFrom.configMapKeyRef.key];
      if (v === undefined) throw new Error(`${e.name}: the ConfigMap has no key ${e.valueFrom.configMapKeyRef.key}`);
      out[e.name] = v;
    } else {
      throw new Error(`${e.name}: a kind of value this test does not resolve`);
    }
  }
  if (container.envFrom?.length) throw new Error("envFrom is not resolved by this test");
  return out;
}

export interface PodProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  stderr(): string;
  /** Resolves with the first log record whose message matches. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export interface PodRun {
  netns: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  volumes: VolumeDir[];
  securityContext: {
    runAsUser: number;
    runAsGroup: number;
    supplementalGroups: number[];
    readOnlyRootFilesystem: boolean;
    noNewPrivs: boolean;
    dropAllCapabilities: boolean;
    /** Kubernetes names (SYS_PTRACE) of the capabilities added back after dropping all. */
    addCapabilities: string[];
  };
}

/**
 * Starts the container's process: in the pod's network namespace, in a mount namespace of its own
 * where every read-only mount is bound read-only and, with readOnlyRootFilesystem, the root
 * filesystem is read-only except for the writable volumes; then as the pod's user and groups,
 * with no capability left and no_new_privs, as the container runtime would.
 */
export function startPodProcess(p: PodRun): PodProcess {
  const lines: string[] = ["set -e", "mount --make-rprivate /"];
  // Every volume bound onto itself, so it stays as it should when the root becomes read-only.
  for (const v of [...p.volumes].sort((a, b) => a.dir.length - b.dir.length)) {
    lines.push(`mount --bind ${shq(v.dir)} ${shq(v.dir)}`);
    if (v.readOnly) lines.push(`mount -o remount,bind,ro ${shq(v.dir)}`);
  }
  if (p.securityContext.readOnlyRootFilesystem) lines.push("mount -o remount,bind,ro /");
  const sc = p.securityContext;
  const setpriv = [
    "setpriv",
    `--reuid=${sc.runAsUser}`,
    `--regid=${sc.runAsGroup}`,
    sc.supplementalGroups.length ? `--groups=${sc.supplementalGroups.join(",")}` : "--clear-groups",
    ...(sc.noNewPrivs ? ["--no-new-privs"] : []),
    // Root's exec takes its bounding set as its capabilities (no_new_privs keeps it to what setpriv
    // held), so the bounding set alone decides what the process has, as a container runtime does.
    ...(sc.dropAllCapabilities ? ["--inh-caps=-all", `--bounding-set=${["-all", ...sc.addCapabilities.map((c) => `+${c.toLowerCase()}`)].join(",")}`] : []),
    "--",
  ];
  lines.push(`cd ${shq(p.cwd)}`, `exec ${setpriv.join(" ")} "$@"`);
  const child = spawn(
    "ip",
    ["netns", "exec", p.netns, "unshare", "--mount", "--propagation", "private", "--", "sh", "-c", lines.join("\n"), "pod", ...p.argv],
    {
      env: p.env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: Record<string, unknown>[] = [];
  const waiters: { re: RegExp; resolve: (r: Record<string, unknown>) => void }[] = [];
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d));
  onJsonLines(child.stdout, (record) => {
    logs.push(record);
    for (const w of [...waiters]) {
      if (w.re.test(String(record["message"] ?? record["unparsed"] ?? ""))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(record);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    logs,
    stderr: () => err,
    exited,
    waitForLog(re, timeoutMs = 60_000) {
      const seen = logs.find((r) => re.test(String(r["message"] ?? r["unparsed"] ?? "")));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no log line matching ${re} within ${timeoutMs} ms; stderr: ${err}; logs: ${JSON.stringify(logs).slice(0, 3000)}`)),
          timeoutMs,
        );
        void exited.then(({ code }) => {
          clearTimeout(timer);
          reject(new Error(`the process exited with ${code} before logging ${re}; stderr: ${err}; logs: ${JSON.stringify(logs).slice(0, 3000)}`));
        });
        waiters.push({
          re,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    async stop() {
      const t0 = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const r = await exited;
      return { ...r, ms: Date.now() - t0 };
    },
  };
}
