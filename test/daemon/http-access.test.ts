import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { z } from "zod";
import { configSchema } from "../../agent/config/schema.js";
import { guardRoutes, startHttpAccess } from "../../agent/daemon/http-access.js";
import { createLogger } from "../../core/log/log.js";
import { type Route, startHttpServer } from "../../core/net/index.js";
import { startKubeStandIn } from "../support/kube-apiserver.js";

// Who may read the agent's port: open on loopback (npm start); beyond loopback each caller's own
// Kubernetes token, as kube-rbac-proxy checks it. /metrics is the non-resource URL Prometheus' role
// names, /v1/state and /v1/report are `get nodereports.pullmedic.dev` named after the node; the
// probes stay open for kubelet.

const log = createLogger("cli", "error");
const parseAgentConfig = (input: z.input<typeof configSchema>) => configSchema.parse(input);
const ok =
  (body: string): Route =>
  async () => ({ status: 200, contentType: "text/plain", body });
const routes = { "/healthz": ok("ok\n"), "/readyz": ok("ready\n"), "/metrics": ok("# metrics\n"), "/v1/state": ok("{}\n"), "/v1/report": ok("{}\n") };

test("beyond loopback the agent's port needs the caller's token and the grant for what it reads; the probes do not", async (t) => {
  const api = await startKubeStandIn();
  t.after(() => api.close());
  api.addIdentity("prometheus-token", { username: "system:serviceaccount:monitoring:prometheus" });
  api.addIdentity("alice-token", { username: "alice" });
  api.grant({ user: "system:serviceaccount:monitoring:prometheus" }, { verbs: ["get"], nonResourceURLs: ["/metrics"] });
  api.grant({ user: "alice" }, { verbs: ["get"], apiGroups: ["pullmedic.dev"], resources: ["nodereports"], resourceNames: ["node-a"] });
  const kubeconfig = await api.writeKubeconfig(mkdtempSync(join(tmpdir(), "pm-agent-http-")));
  // httpAuth kubernetes on a loopback listener, with loopback peers not trusted: what a hostNetwork agent does on the node's address.
  const config = parseAgentConfig({ nodeName: "node-a", listen: "127.0.0.1:0", httpAuth: "kubernetes", trustLoopbackPeers: false, kube: { kubeconfig } });
  const side = await startHttpAccess(config, log, {});
  t.after(() => side.stop());
  const server = await startHttpServer(config.listen, guardRoutes(routes, side.access));
  t.after(() => server.close());
  const get = async (path: string, token?: string) => {
    const res = await fetch(`${server.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, body: await res.text(), challenge: res.headers.get("www-authenticate") };
  };

  for (const path of ["/healthz", "/readyz"]) assert.equal((await get(path)).status, 200, path);
  const none = await get("/v1/state");
  assert.deepEqual([none.status, none.challenge], [401, 'Bearer realm="pullmedic"']);
  assert.match(none.body, /missing credentials.*get nodereports\.pullmedic\.dev "node-a"/);
  assert.equal((await get("/metrics", "prometheus-token")).status, 200);
  const promState = await get("/v1/state", "prometheus-token");
  assert.equal(promState.status, 403);
  assert.match(promState.body, /may not get nodereports\.pullmedic\.dev "node-a"/);
  assert.equal((await get("/v1/state", "alice-token")).status, 200);
  assert.equal((await get("/v1/report", "alice-token")).status, 200);
  assert.equal((await get("/metrics", "alice-token")).status, 403);
  assert.equal((await get("/v1/state", "not-a-token")).status, 401);
});

test("on loopback the port stays open; beyond loopback without any API the agent refuses to start, saying why", async () => {
  const open = await startHttpAccess(parseAgentConfig({ listen: "127.0.0.1:9476" }), log, {});
  assert.deepEqual(open.access, { mode: "open" });
  await assert.rejects(
    startHttpAccess(parseAgentConfig({ listen: "0.0.0.0:9476", kube: { enabled: false } }), log, {}),
    /listen 0\.0\.0\.0:9476 is beyond loopback, where \/metrics and \/v1\/state are checked with TokenReview and SubjectAccessReview: that needs the Kubernetes API .* or set httpAuth: none/,
  );
  const none = await startHttpAccess(parseAgentConfig({ listen: "0.0.0.0:9476", httpAuth: "none" }), log, {});
  assert.deepEqual(none.access, { mode: "open" });
});
