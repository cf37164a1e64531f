import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import {
  createKubeApi,
  type KubeApi,
  KubeApiError,
  type KubeConnection,
  type KubeEvent,
  type KubeNode,
  loadKubeConnection,
  type Secret,
  type ServiceAccount,
} from "../../agent/kube/index.js";
import { VERSION } from "../../core/process/version.js";
import { makeTestCerts, type TestCerts } from "../lab/certs.js";
import { type KubeStandIn, loadFixture, podFixture, pullFailedEvent, STAND_IN_USER, startKubeStandIn } from "../support/kube-apiserver.js";
import { closedPort, listenOnLoopback } from "../support/net.js";

// The one-shot calls of the API client against the stand-in (plain HTTP and TLS), and what the
// client says when the answer is not one it can use.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function apiFor(conn: KubeConnection, opts: Parameters<typeof createKubeApi>[1] = {}): KubeApi {
  const api = createKubeApi(conn, opts);
  cleanups.push(() => api.close());
  return api;
}

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, `expected a KubeApiError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to fail");
}

describe("API calls against the stand-in", () => {
  let stand: KubeStandIn;
  let api: KubeApi;
  before(async () => {
    stand = await startKubeStandIn();
    api = createKubeApi({ server: stand.url, token: async () => stand.token, source: "test stand-in" });
  });
  after(async () => {
    await api.close();
    await stand.close();
  });

  test("getSecret, getServiceAccount and getNode decode what was stored", async () => {
    stand.putSecret(loadFixture<Secret>("secret-dockerconfigjson"));
    stand.putServiceAccount(loadFixture<ServiceAccount>("serviceaccount"));
    stand.putNode(loadFixture<KubeNode>("node"));
    const secret = await api.getSecret("shop", "regcred");
    assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
    assert.equal(typeof secret.data?.[".dockerconfigjson"], "string");
    assert.equal(secret.metadata.name, "regcred");
    const sa = await api.getServiceAccount("shop", "default");
    assert.deepEqual(sa.imagePullSecrets, [{ name: "regcred" }]);
    const node = await api.getNode("node-a");
    assert.equal(node.metadata.name, "node-a");
    assert.ok((node.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"));
    assert.equal((node.status as Record<string, unknown>).addresses, undefined, "only declared fields");
  });

  test("a missing Secret is 404 NotFound; a missing Node too", async () => {
    const err = await rejection(api.getSecret("shop", "nope"));
    assert.equal(err.status, 404);
    assert.equal(err.reason, "NotFound");
    assert.equal(err.verb, "GET");
    assert.equal(err.path, "/api/v1/namespaces/shop/secrets/nope");
    assert.match(err.message, /^GET \/api\/v1\/namespaces\/shop\/secrets\/nope: 404 NotFound: secrets "nope" not found$/);
    const nodeErr = await rejection(api.getNode("no-such-node"));
    assert.equal(nodeErr.status, 404);
  });

  test("a Secret RBAC does not allow is 403 Forbidden, with the server's words", async () => {
    stand.deny("get", "secrets", "locked");
    const err = await rejection(api.getSecret("locked", "regcred"));
    assert.equal(err.status, 403);
    assert.equal(err.reason, "Forbidden");
    assert.ok(err.message.startsWith('GET /api/v1/namespaces/locked/secrets/regcred: 403 Forbidden: secrets "regcred" is forbidden: '), err.message);
    assert.ok(err.message.includes(STAND_IN_USER), err.message);
  });

  test("path segments are encoded", async () => {
    const err = await rejection(api.getSecret("shop", "a/b c"));
    assert.equal(err.status, 404);
    assert.equal(stand.requests().at(-1)?.path, "/api/v1/namespaces/shop/secrets/a%2Fb%20c");
    const empty = await rejection(api.getSecret("shop", ""));
    assert.equal(empty.status, 0);
    assert.match(empty.message, /non-empty name/);
  });

  test("listPodEvents: only the pod's events, oldest first", async () => {
    const pod = stand.putPod(podFixture({ name: "web-ev", nodeName: "node-a", image: "registry.example/web:1", state: "image-pull-back-off" }));
    const other = stand.putPod(podFixture({ name: "other-ev", nodeName: "node-a", image: "registry.example/other:1", state: "err-image-pull" }));
    stand.putEvent(pullFailedEvent(pod, { at: "2025-11-20T09:05:00Z", reason: "BackOff", message: "third" }));
    stand.putEvent(pullFailedEvent(pod, { at: "2025-11-20T09:00:00Z", message: "first" }));
    stand.putEvent(pullFailedEvent(other, { at: "2025-11-20T09:01:00Z", message: "someone else's" }));
    stand.putEvent(pullFailedEvent(pod, { at: "2025-11-20T09:02:00Z", message: "second" }));
    const events = await api.listPodEvents("shop", pod.metadata.uid ?? "");
    assert.deepEqual(
      events.map((e) => e.message),
      ["first", "second", "third"],
    );
    const list = stand.requests().at(-1);
    assert.equal(list?.path, "/api/v1/namespaces/shop/events");
    assert.equal(list?.query.fieldSelector, `involvedObject.uid=${pod.metadata.uid}`);
  });

  test("createEvent posts JSON, patchEvent sends a merge patch", async () => {
    const event: KubeEvent = {
      metadata: { name: "web-1.pullmedic-1", namespace: "shop" },
      involvedObject: { kind: "Pod", namespace: "shop", name: "web-1", uid: "uid-web-1", apiVersion: "v1" },
      reason: "PullDiagnosed",
      message: "registry.example/web:1 not found",
      type: "Warning",
      count: 1,
      firstTimestamp: "2025-11-20T09:00:00Z",
      lastTimestamp: "2025-11-20T09:00:00Z",
      source: { component: "pullmedic", host: "node-a" },
    };
    const created = await api.createEvent("shop", event);
    assert.equal(created.metadata.name, "web-1.pullmedic-1");
    assert.ok(created.metadata.resourceVersion !== undefined);
    const patched = await api.patchEvent("shop", "web-1.pullmedic-1", { count: 2, lastTimestamp: "2025-11-20T09:05:00Z" });
    assert.equal(patched.count, 2);
    assert.equal(patched.reason, "PullDiagnosed", "a merge patch keeps the rest");
    const stored = stand.events().find((e) => e.metadata.name === "web-1.pullmedic-1");
    assert.equal(stored?.count, 2);
    assert.equal(stored?.lastTimestamp, "2025-11-20T09:05:00Z");
    assert.equal(stored?.kind, "Event");
    const writes = stand.requests().filter((r) => r.path.startsWith("/api/v1/namespaces/shop/events") && r.method !== "GET");
    assert.deepEqual(
      writes.map((r) => [r.method, r.path, r.contentType]),
      [
        ["POST", "/api/v1/namespaces/shop/events", "application/json"],
        ["PATCH", "/api/v1/namespaces/shop/events/web-1.pullmedic-1", "application/merge-patch+json"],
      ],
    );
  });

  test("patchNodeConditions sends a strategic merge patch of status.conditions", async () => {
    stand.putNode(loadFixture<KubeNode>("node"));
    const conditions = [
      {
        type: "ImageFilesystemPressure",
        status: "False" as const,
        reason: "DiskOk",
        message: "41% used",
        lastHeartbeatTime: "2025-11-20T09:00:00Z",
        lastTransitionTime: "2025-11-20T08:00:00Z",
      },
    ];
    await api.patchNodeConditions("node-a", conditions);
    const patches = stand.nodeStatusPatches();
    assert.equal(patches.length, 1);
    assert.equal(patches[0]?.node, "node-a");
    assert.equal(patches[0]?.contentType, "application/strategic-merge-patch+json");
    assert.deepEqual(patches[0]?.body, { status: { conditions } });
    const node = await api.getNode("node-a");
    const types = (node.status?.conditions ?? []).map((c) => c.type);
    assert.ok(types.includes("Ready") && types.includes("ImageFilesystemPressure"), `merged by type: ${types.join(",")}`);
  });

  test("a wrong token is 401 Unauthorized, and the token is in no message", async () => {
    const wrong = "wrong-token-5f0c2e9a7b";
    const bad = apiFor({ server: stand.url, token: async () => wrong, source: "test" });
    const err = await rejection(bad.getSecret("shop", "regcred"));
    assert.equal(err.status, 401);
    assert.equal(err.reason, "Unauthorized");
    assert.ok(!err.message.includes(wrong));
    assert.ok(!JSON.stringify({ ...err, stack: err.stack }).includes(wrong));
  });

  test("a 503 carries its Retry-After", async () => {
    stand.failNext(1, 503);
    const err = await rejection(api.getNode("node-a"));
    assert.equal(err.status, 503);
    assert.equal(err.retryAfterSeconds, 1);
  });
});

describe("TLS", () => {
  let dir: string;
  let certs: TestCerts;
  let stand: KubeStandIn;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "pullmedic-kube-tls-"));
    certs = await makeTestCerts(join(dir, "certs"));
    stand = await startKubeStandIn({ tls: certs.certs.valid });
    stand.putNode(loadFixture<KubeNode>("node"));
  });
  after(async () => {
    await stand.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the CA file named in the kubeconfig is trusted", async () => {
    const path = await stand.writeKubeconfig(join(dir, "good"), { caFile: certs.caCert });
    const conn = await loadKubeConnection({ env: {}, kubeconfig: path });
    assert.ok(conn?.ca?.includes("BEGIN CERTIFICATE"));
    const node = await apiFor(conn!).getNode("node-a");
    assert.equal(node.metadata.name, "node-a");
  });

  test("insecure-skip-tls-verify connects without a CA", async () => {
    const node = await apiFor({ server: stand.url, insecureSkipTlsVerify: true, token: async () => stand.token, source: "test" }).getNode("node-a");
    assert.equal(node.metadata.name, "node-a");
  });

  test("tls-server-name is the name the certificate is checked against", async () => {
    const conn: KubeConnection = { server: stand.url, ca: certs.caCert, token: async () => stand.token, source: "test" };
    const { readFile } = await import("node:fs/promises");
    conn.ca = await readFile(certs.caCert, "utf8");
    conn.tlsServerName = "localhost";
    assert.equal((await apiFor(conn).getNode("node-a")).metadata.name, "node-a");
    const err = await rejection(apiFor({ ...conn, tlsServerName: "other.example" }).getNode("node-a"));
    assert.equal(err.status, 0);
    assert.match(err.message, /certificate rejected|altnames|other\.example/i);
  });

  test("a CA that did not sign the server's certificate fails clearly", async () => {
    const path = await stand.writeKubeconfig(join(dir, "wrong"), { caFile: certs.otherCaCert });
    const conn = await loadKubeConnection({ env: {}, kubeconfig: path });
    const err = await rejection(apiFor(conn!).getNode("node-a"));
    assert.equal(err.status, 0);
    assert.equal(err.network, "tls");
    assert.ok(err.message.includes(stand.url), err.message);
    assert.match(err.message, /certificate signed by unknown authority/);
    assert.match(err.message, /the CA from kubeconfig/);
    assert.ok(!err.message.includes(stand.token));
  });
});

// A server whose answers the test writes.
async function scripted(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  const port = await listenOnLoopback(server);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${port}`;
}

describe("answers the client cannot use", () => {
  test("headers: Accept, User-Agent, Bearer or Basic; the server's path prefix is kept", async () => {
    const seen: IncomingMessage[] = [];
    const url = await scripted((req, res) => {
      seen.push(req);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Node", apiVersion: "v1", metadata: { name: "n" } }));
    });
    await apiFor({ server: `${url}/k8s/clusters/c-1`, token: async () => "tok-123456", source: "t" }).getNode("n");
    await apiFor({ server: url, basic: { username: "admin", password: "pw-secret-1" }, source: "t" }, { userAgent: "custom/1" }).getNode("n");
    assert.equal(seen[0]?.url, "/k8s/clusters/c-1/api/v1/nodes/n");
    assert.equal(seen[0]?.headers.accept, "application/json");
    assert.equal(seen[0]?.headers["user-agent"], `pullmedic/${VERSION}`);
    assert.equal(seen[0]?.headers.authorization, "Bearer tok-123456");
    assert.equal(seen[1]?.headers.authorization, `Basic ${Buffer.from("admin:pw-secret-1").toString("base64")}`);
    assert.equal(seen[1]?.headers["user-agent"], "custom/1");
  });

  test("an error body that is not a Status is said to be so, with at most 200 characters of it", async () => {
    const url = await scripted((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end(`<html><body>Bad gateway from the load balancer${"!".repeat(1000)}</body></html>`);
    });
    const err = await rejection(apiFor({ server: url, source: "t" }).getSecret("shop", "regcred"));
    assert.equal(err.status, 502);
    assert.match(err.message, /^GET \/api\/v1\/namespaces\/shop\/secrets\/regcred: 502 .*not a Kubernetes Status object: "<html><body>Bad gateway/);
    assert.ok(err.message.length < 400, `bounded: ${err.message.length}`);
  });

  test("a 200 that is not JSON, or not the kind asked for, or lacks metadata.name, names what is wrong", async () => {
    const bodies = ["<html>login</html>", JSON.stringify({ kind: "SecretList", items: [] }), JSON.stringify({ kind: "Secret", metadata: {} })];
    const url = await scripted((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(bodies.shift());
    });
    const api = apiFor({ server: url, source: "t" });
    assert.match((await rejection(api.getSecret("shop", "x"))).message, /the response is not JSON/);
    assert.match((await rejection(api.getSecret("shop", "x"))).message, /kind: expected Secret, got the string "SecretList"/);
    assert.match((await rejection(api.getSecret("shop", "x"))).message, /metadata\.name: missing/);
  });

  test("no server listening: status 0, naming the server and the cause", async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    const err = await rejection(apiFor({ server, source: "t" }).getNode("n"));
    assert.equal(err.status, 0);
    assert.equal(err.network, "refused");
    assert.equal(err.message, `GET /api/v1/nodes/n: cannot reach ${server}: connection refused`);
  });

  test("a server that never answers times out with status 0", async () => {
    const url = await scripted(() => undefined);
    const err = await rejection(apiFor({ server: url, source: "t" }, { requestTimeoutMs: 200 }).getNode("n"));
    assert.equal(err.status, 0);
    assert.equal(err.network, "timeout");
  });

  test("a token that cannot be read is a status 0 error without a request", async () => {
    let requests = 0;
    const url = await scripted((_req, res) => {
      requests++;
      res.end();
    });
    const err = await rejection(
      apiFor({
        server: url,
        source: "t",
        token: () => Promise.reject(new Error("token file /var/run/secrets/token: EACCES")),
      }).getNode("n"),
    );
    assert.equal(err.status, 0);
    assert.equal(err.network, "credentials");
    assert.match(err.message, /EACCES/);
    assert.equal(requests, 0);
  });

  test("a server echoing the credential does not get it into the message", async () => {
    const token = "echoed-secret-token-8a7b6c";
    const url = await scripted((req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", status: "Failure", reason: "Unauthorized", code: 401, message: `bad header: ${req.headers.authorization}` }));
    });
    const err = await rejection(apiFor({ server: url, token: async () => token, source: "t" }).getNode("n"));
    assert.equal(err.status, 401);
    assert.ok(!err.message.includes(token), err.message);
    assert.match(err.message, /\[redacted\]/);
  });
});

describe("memory over a long run", () => {
  test("rotating tokens are remembered for scrubbing only while they may still be in use, not forever", async () => {
    // Projected service-account tokens rotate about hourly: a year is thousands of tokens.
    let n = 0;
    const tokens: string[] = [];
    const url = await scripted((req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ kind: "Status", status: "Failure", reason: "Unauthorized", code: 401, message: `bad header: ${req.headers.authorization?.slice(7)}` }),
      );
    });
    const api = apiFor({
      server: url,
      source: "t",
      token: async () => {
        const token = `rotated-token-${String(n++).padStart(6, "0")}-${"x".repeat(900)}`;
        tokens.push(token);
        return token;
      },
    });
    let last: KubeApiError | undefined;
    for (let i = 0; i < 300; i++) last = await rejection(api.getNode("n"));
    assert.ok(last !== undefined && !last.message.includes(tokens.at(-1)!), "the token in use is still scrubbed");
    const remembered = (api as unknown as { http: { secrets: Set<string> } }).http.secrets;
    assert.ok(remembered.size <= 16, `${remembered.size} tokens held`);
  });
});

test("requests do not pile up on the client's long-lived close signal (AbortSignal.any keeps every one on Node 20)", async () => {
  const url = await scripted((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "Node", apiVersion: "v1", metadata: { name: "n" } }));
  });
  const api = apiFor({ server: url, token: async () => "tok-123456", source: "t" });
  for (let i = 0; i < 1000; i++) await api.getNode("n");
  const closed = (api as unknown as { http: { closedSignal: AbortSignal } }).http.closedSignal;
  const dependants = Object.getOwnPropertySymbols(closed).find((s) => s.description === "kDependantSignals");
  const held = dependants === undefined ? 0 : ((closed as unknown as Record<symbol, Set<unknown> | undefined>)[dependants]?.size ?? 0);
  assert.ok(held < 50, `${held} signals hang on the close signal after 1000 requests`);
  // Closing still stops what is in flight, and refuses what comes after.
  const never = await scripted(() => undefined);
  const slow = apiFor({ server: never, source: "t" });
  const pending = rejection(slow.getNode("n"));
  await new Promise((r) => setTimeout(r, 50));
  await slow.close();
  assert.match((await pending).message, /closed/);
  assert.match((await rejection(slow.getNode("n"))).message, /closed/);
});
