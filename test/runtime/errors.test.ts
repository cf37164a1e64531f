import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { CriError, RuntimeClient } from "../../agent/runtime/index.js";
import { loadCriServices } from "../../agent/runtime/proto.js";

// Real sockets and real gRPC servers that are not a CRI runtime, or are a stuck one: the
// client must say which of these it met, in words a person can act on.

const dir = mkdtempSync(join(tmpdir(), "pm-err-"));
const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
  rmSync(dir, { recursive: true, force: true });
});

function listenNet(server: NetServer, path: string): Promise<void> {
  return new Promise((resolve) => server.listen(path, resolve));
}

function bindGrpc(server: grpc.Server, path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    server.bindAsync(`unix://${path}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
}

async function expectCriError(path: string, kind: CriError["kind"], pattern: RegExp, timeoutMs = 2000): Promise<void> {
  const client = await RuntimeClient.connect({ endpoint: `unix://${path}`, timeoutMs });
  try {
    await assert.rejects(client.version(), (e: unknown) => {
      assert.ok(e instanceof CriError, `expected CriError, got ${String(e)}`);
      assert.equal(e.kind, kind, e.message);
      assert.match(e.message, pattern);
      assert.ok(e.message.includes(path), "the message names the socket");
      return true;
    });
  } finally {
    client.close();
  }
}

test("a socket that does not speak gRPC is reported as not a CRI socket, naming it", async () => {
  const path = join(dir, "http.sock");
  const server = createServer((sock) => sock.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
  await listenNet(server, path);
  cleanups.push(() => server.close());
  await expectCriError(path, "not-cri", /does not speak gRPC/);
});

test("a gRPC server without the CRI runtime.v1 services is 'not a CRI server'", async () => {
  const path = join(dir, "other.sock");
  const server = new grpc.Server();
  await bindGrpc(server, path);
  cleanups.push(() => server.forceShutdown());
  await expectCriError(path, "not-cri", /does not serve the CRI runtime\.v1 API \(Version/);
});

test("a runtime that never answers hits the deadline, and the message says which call and how long", async () => {
  const path = join(dir, "stuck.sock");
  const { RuntimeService } = await loadCriServices();
  const server = new grpc.Server();
  server.addService(RuntimeService.service, { Version: () => undefined });
  await bindGrpc(server, path);
  cleanups.push(() => server.forceShutdown());
  await expectCriError(path, "deadline", /did not answer Version within 300 ms/, 300);
});

test("a runtime error keeps the runtime's own words, for the diagnosis rules", async () => {
  const path = join(dir, "failing.sock");
  const { ImageService } = await loadCriServices();
  const server = new grpc.Server();
  server.addService(ImageService.service, {
    PullImage: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
      cb({ code: grpc.status.UNKNOWN, details: 'failed to pull and unpack image "x": failed to resolve reference "x": not found' }),
  });
  await bindGrpc(server, path);
  cleanups.push(() => server.forceShutdown());
  const client = await RuntimeClient.connect({ endpoint: path });
  try {
    await assert.rejects(client.pullImage("x"), (e: unknown) => {
      assert.ok(e instanceof CriError);
      assert.equal(e.kind, "runtime");
      assert.equal(e.grpcCode, "UNKNOWN");
      assert.match(e.message, /failed to resolve reference "x": not found/);
      return true;
    });
  } finally {
    client.close();
  }
});

test("a ListImages answer over gRPC's 4 MiB default arrives whole, as on a busy node", async () => {
  const path = join(dir, "busy.sock");
  const { ImageService } = await loadCriServices();
  const images = Array.from({ length: 30_000 }, (_, i) => ({
    id: `sha256:${i.toString(16).padStart(64, "0")}`,
    repoTags: [`registry.example.com/team-${i % 50}/service-${i}:v1.${i}`],
    repoDigests: [`registry.example.com/team-${i % 50}/service-${i}@sha256:${i.toString(16).padStart(64, "a")}`],
    size: String(1000 + i),
  }));
  const server = new grpc.Server({ "grpc.max_send_message_length": 64 * 1024 * 1024 });
  server.addService(ImageService.service, { ListImages: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { images }) });
  await bindGrpc(server, path);
  cleanups.push(() => server.forceShutdown());
  const client = await RuntimeClient.connect({ endpoint: path });
  try {
    const listed = await client.listImages();
    assert.equal(listed.length, 30_000);
    assert.equal(listed[29_999]?.repoTags[0], "registry.example.com/team-49/service-29999:v1.29999");
  } finally {
    client.close();
  }
});
