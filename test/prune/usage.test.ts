import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type ObservedImage, UsageTracker } from "../../agent/prune/index.js";
import { DAY, HOUR, NOW, user } from "./fixtures.js";

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "pm-usage-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const idle = (id: string): ObservedImage => ({ id, usedBy: [] });
const running = (id: string): ObservedImage => ({ id, usedBy: [user("CONTAINER_RUNNING")] });

test("a missing state file is a first start: empty, no warning", async (t) => {
  const { tracker, warning } = await UsageTracker.load(join(tempDir(t), "none", "state.json"), { now: NOW });
  assert.equal(warning, undefined);
  assert.equal(tracker.size, 0);
});

test("observe: first sight starts the age, any container marks use, vanished images are forgotten", () => {
  const tracker = new UsageTracker("/unused");
  tracker.observe([idle("a"), running("b")], NOW);
  assert.deepEqual(tracker.get("a"), { firstSeen: NOW, lastUsed: undefined });
  assert.deepEqual(tracker.get("b"), { firstSeen: NOW, lastUsed: NOW });
  // An exited container still needs its image (kubelet counts it as use), so it is used now.
  tracker.observe([{ id: "a", usedBy: [user("CONTAINER_EXITED")] }, idle("b")], NOW + HOUR);
  assert.deepEqual(tracker.get("a"), { firstSeen: NOW, lastUsed: NOW + HOUR });
  assert.deepEqual(tracker.get("b"), { firstSeen: NOW, lastUsed: NOW }, "idle keeps the last use");
  tracker.observe([idle("b")], NOW + 2 * HOUR);
  assert.equal(tracker.get("a"), undefined);
  assert.deepEqual(Object.keys(tracker.snapshot()), ["b"]);
});

test("restart keeps ages: save, load in a new tracker, the first-seen time is unchanged", async (t) => {
  const path = join(tempDir(t), "deep", "dir", "state.json");
  const first = new UsageTracker(path);
  first.observe([idle("sha256:a"), running("sha256:b")], NOW - 3 * DAY);
  await first.save();
  const { tracker, warning } = await UsageTracker.load(path, { now: NOW });
  assert.equal(warning, undefined);
  tracker.observe([idle("sha256:a"), idle("sha256:b"), idle("sha256:c")], NOW);
  assert.deepEqual(tracker.snapshot(), {
    "sha256:a": { firstSeen: NOW - 3 * DAY, lastUsed: undefined },
    "sha256:b": { firstSeen: NOW - 3 * DAY, lastUsed: NOW - 3 * DAY },
    "sha256:c": { firstSeen: NOW, lastUsed: undefined },
  });
  const onDisk = JSON.parse(readFileSync(path, "utf8")) as { version: number; images: Record<string, unknown> };
  assert.equal(onDisk.version, 1);
  assert.deepEqual(onDisk.images["sha256:a"], { firstSeen: NOW - 3 * DAY });
});

test("a corrupt state file is a warning and a fresh start, never a crash; the next save repairs it", async (t) => {
  const path = join(tempDir(t), "state.json");
  writeFileSync(path, '{"version":1,"images":{"sha256:a":{"firstSe');
  const { tracker, warning } = await UsageTracker.load(path, { now: NOW });
  assert.match(warning ?? "", /state\.json: not valid JSON .*image ages start over/);
  assert.equal(tracker.size, 0);
  tracker.observe([idle("sha256:a")], NOW);
  await tracker.save();
  assert.equal((await UsageTracker.load(path, { now: NOW })).warning, undefined);
});

test("a corrupt or newer state file is kept as a copy beside it before anything overwrites it, and the warning says where", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "state.json");
  const corrupt = '{"version":1,"images":{"sha256:a":{"firstSe';
  writeFileSync(path, corrupt);
  const first = await UsageTracker.load(path, { now: NOW });
  assert.match(first.warning ?? "", /not valid JSON .*kept as .*state\.json\.corrupt/);
  await first.tracker.save();
  assert.equal(readFileSync(join(dir, "state.json.corrupt"), "utf8"), corrupt, "the copy is the file as it was");

  const newer = JSON.stringify({ version: 2, savedAt: "2030-01-01T00:00:00Z", images: { "sha256:b": { firstSeen: 1, seenBy: ["x"] } } });
  writeFileSync(path, newer);
  const second = await UsageTracker.load(path, { now: NOW });
  assert.match(second.warning ?? "", /version 2 is not the version 1 .*kept as .*state\.json\.version-2/);
  await second.tracker.save();
  assert.equal(readFileSync(join(dir, "state.json.version-2"), "utf8"), newer);
  assert.equal((await UsageTracker.load(path, { now: NOW })).warning, undefined, "the save repaired the state itself");
});

test("a FIFO or a device as the state file is refused by name, without waiting for a writer", async (t) => {
  const fifo = join(tempDir(t), "state.fifo");
  execFileSync("mkfifo", [fifo]);
  assert.match((await UsageTracker.load(fifo, { now: NOW })).warning ?? "", /state\.fifo: is a FIFO \(named pipe\), not a regular file/);
  assert.match((await UsageTracker.load("/dev/zero", { now: NOW })).warning ?? "", /\/dev\/zero: is a character device/);
});

test("other damage: wrong shape, unknown version, bad entries, a directory in the way", async (t) => {
  const dir = tempDir(t);
  const load = async (body: string) => {
    writeFileSync(join(dir, "s.json"), body);
    return UsageTracker.load(join(dir, "s.json"), { now: NOW });
  };
  assert.match((await load("[]")).warning ?? "", /not a JSON object/);
  assert.match((await load('{"version":7,"images":{}}')).warning ?? "", /version 7 is not the version 1/);
  assert.match((await load('{"version":1,"images":[]}')).warning ?? "", /"images" is not an object/);
  const partial = await load(
    JSON.stringify({
      version: 1,
      images: { good: { firstSeen: NOW - DAY }, bad: { firstSeen: "yesterday" }, worse: null, future: { firstSeen: NOW + DAY, lastUsed: NOW + DAY } },
    }),
  );
  assert.match(partial.warning ?? "", /2 malformed entries ignored/);
  assert.deepEqual(partial.tracker.snapshot(), { good: { firstSeen: NOW - DAY, lastUsed: undefined }, future: { firstSeen: NOW, lastUsed: NOW } });
  mkdirSync(join(dir, "is-a-dir"));
  assert.match(
    (await UsageTracker.load(join(dir, "is-a-dir"), { now: NOW })).warning ?? "",
    /cannot read image usage state .*is-a-dir: is a directory, not a regular file/,
  );
});

test("bounded: past the limit the least recently active images lose their record", () => {
  const tracker = new UsageTracker("/unused", { maxEntries: 3 });
  tracker.observe([idle("old")], NOW - 5 * DAY);
  tracker.observe([idle("old"), idle("mid")], NOW - 3 * DAY);
  tracker.observe([idle("old"), idle("mid"), running("hot"), idle("new1"), idle("new2")], NOW);
  assert.equal(tracker.size, 3);
  assert.deepEqual(Object.keys(tracker.snapshot()).sort(), ["hot", "new1", "new2"]);
});

test("a failed save leaves the old file whole and no temp file behind (rename onto a directory)", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "state.json");
  mkdirSync(path);
  const tracker = new UsageTracker(path);
  tracker.observe([idle("a")], NOW);
  await assert.rejects(tracker.save(), /EISDIR|EEXIST|ENOTEMPTY|is a directory/i);
  assert.deepEqual(readdirSync(dir), ["state.json"]);
});

test("a full disk mid-write leaves the old state intact and loadable (real ENOSPC on a tiny tmpfs)", async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip("mounting a tmpfs needs root");
    return;
  }
  const dir = join(tempDir(t), "tiny");
  mkdirSync(dir);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "pm-usage-full", dir]);
  try {
    const path = join(dir, "state.json");
    const small = new UsageTracker(path);
    small.observe([idle("sha256:kept")], NOW - 9 * DAY);
    await small.save();
    const before = readFileSync(path, "utf8");

    const big = new UsageTracker(path);
    big.observe(
      Array.from({ length: 5000 }, (_, i) => idle(`sha256:${i.toString(16).padStart(64, "0")}`)),
      NOW,
    );
    await assert.rejects(big.save(), /ENOSPC/);
    assert.equal(readFileSync(path, "utf8"), before);
    assert.deepEqual(readdirSync(dir), ["state.json"]);
    const { tracker, warning } = await UsageTracker.load(path, { now: NOW });
    assert.equal(warning, undefined);
    assert.deepEqual(tracker.get("sha256:kept"), { firstSeen: NOW - 9 * DAY, lastUsed: undefined });
  } finally {
    execFileSync("umount", [dir]);
  }
});

test("a state path where no directory can be made fails fast instead of spinning (Node's recursive mkdir loops under /proc)", async (t) => {
  if (process.platform !== "linux") {
    t.skip("/proc is Linux's");
    return;
  }
  await assert.rejects(new UsageTracker("/proc/pm-nope/deeper/state.json").save(), /ENOENT/);
});

test("saves from two callers at once do not interleave", async (t) => {
  const path = join(tempDir(t), "state.json");
  const tracker = new UsageTracker(path);
  tracker.observe([idle("a"), idle("b")], NOW);
  await Promise.all([tracker.save(), tracker.save(), tracker.save()]);
  const { tracker: back, warning } = await UsageTracker.load(path, { now: NOW });
  assert.equal(warning, undefined);
  assert.equal(back.size, 2);
});

test("an image ID like __proto__ stays data", () => {
  const tracker = new UsageTracker("/unused");
  tracker.observe([idle("__proto__")], NOW);
  const snap = tracker.snapshot();
  assert.ok(Object.hasOwn(snap, "__proto__"));
  assert.equal(Object.getPrototypeOf(snap), Object.prototype);
});
