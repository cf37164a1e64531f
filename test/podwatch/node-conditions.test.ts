import assert from "node:assert/strict";
import { test } from "node:test";
import { createKubeApi, type NodeCondition } from "../../agent/kube/index.js";
import { IMAGE_FS_PRESSURE, NodeConditionWriter, REGISTRY_UNREACHABLE } from "../../agent/podwatch/index.js";
import type { Logger } from "../../core/log/log.js";
import { startKubeStandIn } from "../support/kube-apiserver.js";

// The writer of the node conditions pullmedic owns, against the API server stand-in.

const quiet: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

test("a condition pullmedic set before and no longer checks (its check turned off) does not stay True", async () => {
  const stand = await startKubeStandIn();
  const api = createKubeApi({ server: stand.url, token: async () => stand.token, source: "test" });
  try {
    const then = "2024-05-01T10:00:00Z";
    stand.putNode({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node-1" },
      status: {
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "KubeletReady",
            message: "kubelet is posting ready status",
            lastHeartbeatTime: then,
            lastTransitionTime: then,
          },
          {
            type: REGISTRY_UNREACHABLE,
            status: "True",
            reason: "RegistryUnreachable",
            message: "cannot connect to registry.test",
            lastHeartbeatTime: then,
            lastTransitionTime: then,
          },
        ],
      },
    });
    // The agent restarts with registry probes off: only the image filesystem is judged now.
    const writer = new NodeConditionWriter(api, "node-1", quiet);
    await writer.update([{ type: IMAGE_FS_PRESSURE, status: "False", reason: "ImageFsHasSpace", message: "image filesystem has space" }]);
    const node = await api.getNode("node-1");
    const byType = new Map((node.status?.conditions ?? []).map((c): [string, NodeCondition] => [c.type, c]));
    assert.equal(byType.get(IMAGE_FS_PRESSURE)?.status, "False");
    assert.notEqual(byType.get(REGISTRY_UNREACHABLE)?.status, "True", "a True nobody checks any more is not left on the node");
    assert.equal(byType.get("Ready")?.status, "True", "conditions of others are untouched");
    assert.equal(byType.get(REGISTRY_UNREACHABLE)?.status, "Unknown");
    // Once Unknown it is left alone: the next agent writes nothing (its own condition is current too).
    const patches = stand.nodeStatusPatches().length;
    await writer.update([{ type: IMAGE_FS_PRESSURE, status: "False", reason: "ImageFsHasSpace", message: "image filesystem has space" }]);
    const fresh = new NodeConditionWriter(api, "node-1", quiet);
    await fresh.update([{ type: IMAGE_FS_PRESSURE, status: "False", reason: "ImageFsHasSpace", message: "image filesystem has space" }]);
    assert.equal(stand.nodeStatusPatches().length, patches);
  } finally {
    await api.close();
    await stand.close();
  }
});
