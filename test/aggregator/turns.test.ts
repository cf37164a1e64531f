import assert from "node:assert/strict";
import { test } from "node:test";
import { Turns } from "../../aggregator/http/turns.js";

// View computations take turns with the rest of the event loop: what arrives while one computes
// (here, a callback queued by it, standing for an agent's message) is served before the next.

test("one piece of work per event-loop turn, in order, with what arrived meanwhile served between them", async () => {
  const turns = new Turns();
  const seen: string[] = [];
  const work = (name: string) =>
    turns.run(async () => {
      seen.push(name);
      setImmediate(() => seen.push(`arrived during ${name}`));
      return name;
    });
  const answers = await Promise.all([work("nodes"), work("failures"), work("disks")]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(answers, ["nodes", "failures", "disks"]);
  assert.deepEqual(seen, ["nodes", "arrived during nodes", "failures", "arrived during failures", "disks", "arrived during disks"]);
});

test("work that throws rejects its own answer only; the queue goes on", async () => {
  const turns = new Turns();
  const bad = turns.run(async () => {
    throw new Error("limit: must be a whole number");
  });
  const sync = turns.run((() => {
    throw new Error("thrown before any await");
  }) as () => Promise<never>);
  const good = turns.run(async () => "answered");
  await assert.rejects(bad, /limit: must be a whole number/);
  await assert.rejects(sync, /thrown before any await/);
  assert.equal(await good, "answered");
});
