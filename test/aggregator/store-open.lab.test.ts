import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { SqliteStore } from "../../aggregator/store/index.js";

// A database directory the aggregator cannot write (a read-only volume, a root-owned directory)
// is named with what is wrong, not only SQLite's "unable to open database file". Lab: mounting a
// read-only filesystem needs root, and root writes through directory permissions.

const dir = mkdtempSync(join(tmpdir(), "pm-store-ro-"));
const readOnly = join(dir, "ro");

before(() => {
  mkdirSync(readOnly);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", readOnly]);
  SqliteStore.open(join(readOnly, "existing.db")).close();
  execFileSync("mount", ["-o", "remount,ro", readOnly]);
});
after(() => {
  execFileSync("umount", [readOnly]);
  rmSync(dir, { recursive: true, force: true });
});

test("a database in a read-only directory says the directory is read-only, and which", () => {
  const path = join(readOnly, "aggregator.db");
  assert.throws(
    () => SqliteStore.open(path),
    (err: Error) => {
      assert.match(err.message, new RegExp(`cannot open the pullmedic database ${path}`));
      assert.match(err.message, new RegExp(`${readOnly} is on a read-only filesystem`));
      assert.match(err.message, /writable/);
      return true;
    },
  );
});

test("an existing database on a volume that became read-only says so too", () => {
  const path = join(readOnly, "existing.db");
  assert.throws(
    () => SqliteStore.open(path),
    (err: Error) => {
      assert.match(err.message, new RegExp(`${readOnly} is on a read-only filesystem`));
      return true;
    },
  );
});
