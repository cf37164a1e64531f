import assert from "node:assert/strict";
import { test } from "node:test";
import { CriError, KNOWN_SOCKETS, parseEndpoint, resolveEndpoint, type SocketProbe } from "../../agent/runtime/index.js";

test("endpoint forms crictl accepts all become a unix:/// target", () => {
  for (const input of ["unix:///run/x.sock", "unix:/run/x.sock", "/run/x.sock", "  unix:///run/x.sock "]) {
    const e = parseEndpoint(input, "flag");
    assert.equal(e.target, "unix:///run/x.sock", input);
    assert.equal(e.socketPath, "/run/x.sock");
  }
});

test("a non-unix endpoint is refused with a message naming the flag and the value", () => {
  assert.throws(
    () => parseEndpoint("tcp://10.0.0.1:1234", "flag"),
    (e: unknown) => {
      assert.ok(e instanceof CriError);
      assert.equal(e.kind, "bad-endpoint");
      assert.match(e.message, /--cri-endpoint "tcp:\/\/10\.0\.0\.1:1234" is not a unix socket/);
      return true;
    },
  );
  assert.throws(() => parseEndpoint("run/x.sock", "env"), /CRI_ENDPOINT "run\/x.sock"/);
  assert.throws(() => parseEndpoint("unix://relative.sock", "flag"), /absolute socket path/);
});

const probeWith =
  (present: Record<string, Awaited<ReturnType<SocketProbe>>>): SocketProbe =>
  async (path) =>
    present[path] ?? "missing";

test("detection takes the first known socket in containerd, k3s, microk8s, k0s, CRI-O order", async () => {
  const k3s = "/run/k3s/containerd/containerd.sock";
  const crio = "/var/run/crio/crio.sock";
  const e = await resolveEndpoint({}, probeWith({ [k3s]: "socket", [crio]: "socket" }));
  assert.equal(e.socketPath, k3s);
  assert.equal(e.source, "detected");
  assert.equal(KNOWN_SOCKETS[0]?.path, "/run/containerd/containerd.sock");
  assert.ok(KNOWN_SOCKETS.findIndex((s) => s.path === crio) > KNOWN_SOCKETS.findIndex((s) => s.path === k3s));
});

test("no socket anywhere: the error lists every path tried and how to point at one", async () => {
  await assert.rejects(resolveEndpoint({}, probeWith({})), (e: unknown) => {
    assert.ok(e instanceof CriError);
    assert.equal(e.kind, "socket-missing");
    assert.deepEqual(
      e.tried,
      KNOWN_SOCKETS.map((s) => s.path),
    );
    for (const s of KNOWN_SOCKETS) assert.ok(e.message.includes(s.path), s.path);
    assert.match(e.message, /--cri-endpoint/);
    assert.match(e.message, /CRI_ENDPOINT/);
    return true;
  });
});

test("the flag wins over CRI_ENDPOINT, which wins over detection", async () => {
  const probe = probeWith({ "/a.sock": "socket", "/b.sock": "socket", "/run/containerd/containerd.sock": "socket" });
  assert.equal((await resolveEndpoint({ flag: "/a.sock", env: "/b.sock" }, probe)).source, "flag");
  assert.equal((await resolveEndpoint({ env: "/b.sock" }, probe)).socketPath, "/b.sock");
});

test("an explicit endpoint that is missing, not a socket, or denied says which", async () => {
  await assert.rejects(resolveEndpoint({ flag: "/gone.sock" }, probeWith({})), /CRI socket \/gone.sock does not exist/);
  await assert.rejects(resolveEndpoint({ flag: "/f" }, probeWith({ "/f": "not-a-socket" })), /exists but is not a unix socket/);
  await assert.rejects(resolveEndpoint({ flag: "/p.sock" }, probeWith({ "/p.sock": "denied" })), (e: unknown) => {
    assert.ok(e instanceof CriError);
    assert.equal(e.kind, "permission-denied");
    assert.match(e.message, /permission denied on CRI socket \/p.sock/);
    return true;
  });
});
