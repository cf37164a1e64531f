import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FileReadError, readRegularFile, readTextFile } from "../../core/fs/index.js";

const dir = mkdtempSync(join(tmpdir(), "pm-read-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function refused(path: string, maxBytes: number, problem: string, words: RegExp): Promise<void> {
  await assert.rejects(readRegularFile(path, { maxBytes }), (err: unknown) => {
    assert.ok(err instanceof FileReadError, String(err));
    assert.equal(err.problem, problem);
    assert.match(err.message, words);
    assert.ok(err.message.startsWith(path), "the message names the file");
    return true;
  });
}

test("a regular file is read whole when it fits", async () => {
  const file = join(dir, "ok.toml");
  writeFileSync(file, 'server = "https://reg.example"\n');
  assert.equal(await readTextFile(file, { maxBytes: 100 }), 'server = "https://reg.example"\n');
});

test("a file over the cap is refused before it is read, naming the limit", async () => {
  const file = join(dir, "big");
  writeFileSync(file, Buffer.alloc(4096, 1));
  await refused(file, 1000, "too-large", /over the 1000-byte limit/);
});

test("a FIFO is refused at once instead of waiting for a writer", async () => {
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  await refused(fifo, 1000, "not-regular", /is a FIFO \(named pipe\), not a regular file/);
});

test("a device such as /dev/zero is refused, not read until memory runs out", async () => {
  await refused("/dev/zero", 1 << 20, "not-regular", /is a character device/);
});

test("a directory and a missing file are named as such", async () => {
  await refused(dir, 1000, "not-regular", /is a directory/);
  await refused(join(dir, "nope"), 1000, "missing", /no such file/);
});

test("a /proc file whose size says 0 is still read, up to the cap", async () => {
  const status = await readTextFile("/proc/self/status", { maxBytes: 1 << 20 });
  assert.match(status, /^Name:/m);
  await refused("/proc/self/status", 10, "too-large", /over the 10-byte limit/);
});
