import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { after, before, test } from "node:test";
import { type DiagnoseOptions, type Diagnosis, diagnoseImage, fixCommands, type NodeRuntime, shellQuote } from "../../agent/diagnose/index.js";
import { nodePlatform } from "../../core/image/index.js";
import { buildImage } from "../lab/image.js";
import { hostsDirWith } from "./diagnose-support.js";

// The pipeline in process, against a small registry of ours: what the lab cannot produce
// (a registry missing a config blob, hosts.toml entries no request can be sent with, runtime
// errors quoting signed URLs) and what only shows inside the process (connections left open).

const image = buildImage({ label: "pipeline" });
const blobs = new Map([[image.configDigest, image.config], ...image.layers.map((l) => [l.digest, l.data] as const)]);
let server: Server;
let host = "";
const sockets = new Set<Socket>();

before(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const send = (status: number, type: string, body: Buffer, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "Content-Type": type, "Content-Length": body.length, ...headers });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (path === "/v2/") return send(200, "application/json", Buffer.from("{}"));
    if (path.startsWith("/v2/shop/app/manifests/") || path.startsWith("/v2/shop/faraway/manifests/")) {
      return send(200, "application/vnd.oci.image.manifest.v1+json", image.manifest, { "Docker-Content-Digest": image.manifestDigest });
    }
    const blob = /^\/v2\/shop\/(app|noconfig|faraway)\/blobs\/(.+)$/.exec(path);
    if (blob?.[1] === "faraway" && blob[2] !== image.configDigest) {
      // Layers live on storage this node has no route to (a documentation-only IPv6 prefix).
      res.writeHead(307, { Location: `http://[2001:db8::1]/blobs/${blob[2]}` });
      return res.end();
    }
    if (blob?.[1] === "faraway") return send(200, "application/octet-stream", image.config);
    const data = blob?.[2] === undefined ? undefined : blobs.get(blob[2]);
    if (blob?.[1] === "app" && data !== undefined) return send(200, "application/octet-stream", data);
    if (path.startsWith("/v2/shop/noconfig/manifests/")) {
      return send(200, "application/vnd.oci.image.manifest.v1+json", image.manifest, { "Docker-Content-Digest": image.manifestDigest });
    }
    send(404, "application/json", Buffer.from(JSON.stringify({ errors: [{ code: "BLOB_UNKNOWN", message: "blob unknown to registry" }] })));
  });
  // Long enough that only our own close() ends a connection within a test.
  server.keepAliveTimeout = 600_000;
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  host = `127.0.0.1:${address.port}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  server.close();
  await once(server, "close");
});

function options(extra: Partial<DiagnoseOptions> & { hostsToml?: string }): DiagnoseOptions {
  const toml = extra.hostsToml ?? `server = "http://${host}"\n`;
  return {
    image: `${host}/shop/app:1`,
    platform: nodePlatform(),
    hostsDir: hostsDirWith({ [host]: toml }),
    timeoutMs: 3000,
    pullDeadlineMs: 600_000,
    pull: false,
    ...extra,
  };
}

function runtime(availableBytes: number, pull: NodeRuntime["pull"] = async () => "sha256:pulled"): NodeRuntime {
  return {
    containerdVersion: async () => "2.1.0",
    imagePresent: async () => false,
    imageFilesystems: async () => [
      {
        mountpoint: "/var/lib/containerd",
        runtimeUsedBytes: undefined,
        runtimeInodesUsed: undefined,
        hostError: undefined,
        host: {
          mount: "/",
          device: "/dev/x",
          fsType: "ext4",
          capacityBytes: 1e12,
          availableBytes,
          freeBytes: availableBytes,
          usedPercent: 50,
          inodesTotal: 1e6,
          inodesFree: 1e6,
          inodesUsedPercent: 0,
        },
      },
    ],
    pull,
  };
}

function shown(d: Diagnosis): string {
  return JSON.stringify(d);
}

test("a config blob the registry does not have: not-found at the platform step, not an exception", async () => {
  const d = await diagnoseImage(options({ image: `${host}/shop/noconfig:1` }));
  assert.equal(d.cause, "not-found", shown(d));
  const platform = d.evidence.find((e) => e.check === "platform");
  assert.equal(platform?.ok, false, shown(d));
  assert.match(platform?.detail ?? "", /BLOB_UNKNOWN/);
});

test("layers on storage the node cannot reach: network-timeout, not a predicted slow pull", async () => {
  const d = await diagnoseImage(options({ image: `${host}/shop/faraway:1` }));
  assert.equal(d.cause, "network-timeout", shown(d));
  assert.match(d.evidence.find((e) => e.check === "throughput")?.detail ?? "", /2001:db8::1/);
});

test("when a mirror's not-found outranks the upstream's refusal, the fix names the mirror", async () => {
  const toml = `server = "http://127.0.0.1:1"\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`;
  const d = await diagnoseImage(options({ image: `${host}/shop/nosuch:1`, hostsToml: toml }));
  assert.equal(d.cause, "not-found", shown(d));
  assert.ok(d.fix[0]?.includes(`http://${host}/v2/_catalog`), shown(d));
});

test("hosts.toml entries no request can be sent with fail that host only; the next one is tried", async () => {
  const mirrors =
    `server = "http://${host}"\n` +
    `[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n  [host."http://${host}".header]\n    "X Bad Name" = "v"\n` +
    `[host."http://[zz]:5000"]\n  capabilities = ["pull", "resolve"]\n` +
    `[host."http://${host}/newline"]\n  capabilities = ["pull", "resolve"]\n  header = { "X-Token" = "line\\nbreak" }\n`;
  const d = await diagnoseImage(options({ hostsToml: mirrors }));
  assert.equal(d.cause, "ok", shown(d));
  const unusable = d.evidence.filter((e) => e.check === "hosts" && !e.ok);
  assert.equal(unusable.length, 3, shown(d));
  assert.match(unusable[0]?.detail ?? "", /header name "X Bad Name"/);

  const only = await diagnoseImage(options({ hostsToml: `server = "http://[zz]:5000"\n` }));
  assert.equal(only.cause, "unknown", shown(only));
  assert.match(only.summary, /http:\/\/\[zz\]:5000/);
});

test("user information in a hosts.toml URL is dropped as containerd drops it, and shown nowhere", async () => {
  const d = await diagnoseImage(
    options({ hostsToml: `server = "http://robot:s3cret-pw@${host}"\n[host."http://robot:s3cret-pw@${host}"]\n  capabilities = ["pull", "resolve"]\n` }),
  );
  assert.equal(d.cause, "ok", shown(d));
  assert.ok(!shown(d).includes("s3cret-pw"), shown(d));
});

test("a runtime pull error quoting a signed storage URL: classified, the signature shown nowhere", async () => {
  const signed = "https://storage.example/blobs/data?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=deadbeef0123&part=2";
  const failing: NodeRuntime["pull"] = async () => {
    throw new Error(
      `failed to pull and unpack image "${host}/shop/app:1": failed to copy: httpReadSeeker: failed open: failed to do request: Get "${signed}": dial tcp 10.0.0.1:443: i/o timeout`,
    );
  };
  const d = await diagnoseImage(options({ pull: true, runtime: runtime(1e11, failing) }));
  assert.equal(d.cause, "network-timeout", shown(d));
  for (const secret of ["AKIAEXAMPLE", "deadbeef0123"]) assert.ok(!shown(d).includes(secret), shown(d));
  assert.match(d.evidence.find((e) => e.check === "pull")?.detail ?? "", /https:\/\/storage\.example\/blobs\/data\?part=2/);
});

test("a diagnosis that stops at the disk step closes its registry connections", { timeout: 30_000 }, async () => {
  const d = await diagnoseImage(options({ runtime: runtime(1) }));
  assert.equal(d.cause, "disk-full", shown(d));
  // The server keeps idle connections for 10 minutes: only the client's close() ends them now.
  await Promise.all([...sockets].map((s) => (s.closed ? undefined : once(s, "close"))));
});

test("fix commands: the scheme follows the side that spoke plain HTTP; a rate-limit mirror keeps the registry; platform names are quoted", () => {
  const hostsDir = "/etc/containerd/certs.d";
  const reg = { image: "reg.example:5000/app:1", domain: "reg.example:5000", hostsDir, tlsProblem: "http-to-https" };
  // An http:// endpoint answered in TLS: the registry wants https, not the other way round.
  assert.match(fixCommands("tls", { ...reg, endpoint: "http://reg.example:5000" }).join("\n"), /server = "https:\/\/reg\.example:5000"/);
  assert.match(fixCommands("tls", { ...reg, endpoint: "https://reg.example:5000" }).join("\n"), /server = "http:\/\/reg\.example:5000"/);

  const ghcr = fixCommands("rate-limited", { image: "ghcr.io/org/app:1", domain: "ghcr.io", hostsDir }).join("\n");
  assert.match(ghcr, /certs\.d\/ghcr\.io\/hosts\.toml/);
  assert.match(ghcr, /server = "https:\/\/ghcr\.io"/);
  assert.doesNotMatch(ghcr, /registry-1\.docker\.io/);
  assert.match(fixCommands("rate-limited", { image: "nginx", domain: "docker.io", hostsDir }).join("\n"), /server = "https:\/\/registry-1\.docker\.io"/);

  const hostile = "linux/arm64'; touch /tmp/pwned; '";
  const odd = fixCommands("platform-mismatch", {
    image: "reg.example/app:1",
    hostsDir,
    platform: { os: "linux", architecture: "amd64" },
    availablePlatforms: [hostile],
  });
  assert.equal(odd[0], "kubectl get nodes -L kubernetes.io/arch");
  assert.ok(odd[1]?.startsWith(`docker buildx build --platform ${shellQuote(`linux/amd64,${hostile}`)} `), odd[1]);
  const plain = fixCommands("platform-mismatch", {
    image: "reg.example/app:1",
    hostsDir,
    platform: { os: "linux", architecture: "amd64" },
    availablePlatforms: ["linux/arm64/v8"],
  });
  assert.match(plain[0] ?? "", /"kubernetes\.io\/arch":"arm64"/);
  assert.match(plain[1] ?? "", /--platform linux\/amd64,linux\/arm64\/v8 /);
});
