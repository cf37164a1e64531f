import assert from "node:assert/strict";
import { test } from "node:test";
import { createMetrics, type PruneFinding } from "../../agent/report/index.js";
import { NodeState } from "../../agent/report/node-state.js";

// What a Prometheus server scraping the agent reads: types as the names promise.

test("prune totals since start are counters, as their _total names promise", async () => {
  const state = new NodeState("node-a", "test");
  const metrics = await createMetrics(state, { quotaReadings: () => [] });
  let text = await metrics.render();
  assert.match(text, /^# TYPE pullmedic_prune_removed_images_total counter$/m);
  assert.match(text, /^# TYPE pullmedic_prune_freed_bytes_total counter$/m);
  assert.match(text, /^pullmedic_prune_removed_images_total 0$/m);
  const finding: PruneFinding = {
    lastRunAt: new Date(0).toISOString(),
    trigger: "high-watermark",
    dryRun: false,
    planned: 3,
    removed: 2,
    freedBytes: 2048,
    failed: 0,
    totals: { removed: 5, freedBytes: 4096 },
  };
  state.record("prune", { ok: true, durationMs: 1, result: finding });
  text = await metrics.render();
  assert.match(text, /^pullmedic_prune_removed_images_total 5$/m);
  assert.match(text, /^pullmedic_prune_freed_bytes_total 4096$/m);
  // Scraped again, the same totals: reading never adds.
  text = await metrics.render();
  assert.match(text, /^pullmedic_prune_removed_images_total 5$/m);
});
