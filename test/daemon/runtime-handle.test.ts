import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RuntimeHandle } from "../../agent/daemon/runtime-handle.js";

// The agent's checks share one runtime connection. The disk and images checks start together,
// so the first two calls come before any connection exists.

test("checks that ask for the runtime at the same moment share one connection", async () => {
  const socket = join(mkdtempSync(join(tmpdir(), "pm-handle-")), "cri.sock");
  const server = createServer((c) => c.destroy());
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  const handle = new RuntimeHandle({ criEndpoint: `unix://${socket}` });
  try {
    const [a, b] = await Promise.all([handle.get(), handle.get()]);
    assert.equal(a, b, "a second connection was opened, and only one of them is ever closed");
    assert.equal(await handle.get(), a);
  } finally {
    handle.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("a connection that fails is retried by the next check", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pm-handle-"));
  const socket = join(dir, "cri.sock");
  const handle = new RuntimeHandle({ criEndpoint: `unix://${socket}` });
  await assert.rejects(handle.get());
  const server = createServer((c) => c.destroy());
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  try {
    assert.ok(await handle.get());
  } finally {
    handle.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
