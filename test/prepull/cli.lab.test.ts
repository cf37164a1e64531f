import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { buildImage, type Lab, startLab } from "../lab/index.js";
import { runPullmedic, runPullmedicJson } from "../support/cli.js";

// `pullmedic prepull` as a person runs it, against the lab's containerd and registry.

interface PrepullJson {
  images: {
    image: string;
    state: string;
    action: string;
    digest: string | null;
    cause: string | null;
    summary: string | null;
    fix: string[] | null;
    attempts: number;
    bytes: number | null;
  }[];
  ms: number;
}

let lab: Lab;
let web: { ref: string; digest: string };
let api: { ref: string; digest: string };

before(async () => {
  lab = await startLab();
  web = await lab.push(buildImage({ label: "web", padBytes: 300 * 1024 }), "shop/web:2.1");
  api = await lab.push(buildImage({ label: "api" }), "shop/api:2.1");
});

after(async () => {
  await lab?.stop();
});

const common = (): string[] => ["--hosts-dir", lab.hostsDir, "--cri-endpoint", lab.criEndpoint];

test("text: a line per image as it finishes, then the tally; exit 0", async () => {
  const r = await runPullmedic(["prepull", web.ref, api.ref, ...common()]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split("\n");
  const webLine = lines.find((l) => l.includes(web.ref));
  assert.match(webLine ?? "", new RegExp(`^pulled +${web.ref.replace(/[.]/g, "\\.")}  ${web.digest.slice(0, 19)} \\d+\\.\\d (KiB|MiB) in \\d+\\.\\d s$`));
  assert.ok(lines.some((l) => l.startsWith("pulled") && l.includes(api.ref)));
  assert.match(lines.at(-1) ?? "", /^2 images in \d+\.\d s: 2 pulled, 0 unchanged, 0 deferred, 0 failed$/);
});

test("--json: every image with action, digest and cause; unchanged the second time", async () => {
  const { code, out } = await runPullmedicJson<PrepullJson>(["prepull", web.ref, api.ref, ...common()]);
  assert.equal(code, 0);
  assert.deepEqual(
    out.images.map((i) => [i.image, i.action, i.digest, i.cause]),
    [
      [web.ref, "unchanged", web.digest, null],
      [api.ref, "unchanged", api.digest, null],
    ],
  );
  assert.ok(out.images.every((i) => i.state === "present" && i.attempts === 0 && (i.bytes ?? 0) > 0));
});

test("a missing tag fails with its cause and fix, the others still done; exit 1", async () => {
  const missing = `${lab.registry.host}/shop/web:9.9`;
  const text = await runPullmedic(["prepull", missing, api.ref, ...common()]);
  assert.equal(text.code, 1, text.stdout + text.stderr);
  assert.match(text.stdout, new RegExp(`^failed +${missing.replace(/[.]/g, "\\.")}  \\(not-found: `, "m"));
  assert.match(text.stdout, /^ {4}\$ /m, "fix commands follow the failed line");
  assert.match(text.stdout, /^unchanged +/m);
  const { code, out } = await runPullmedicJson<PrepullJson>(["prepull", missing, ...common()]);
  assert.equal(code, 1);
  assert.equal(out.images[0]?.action, "failed");
  assert.equal(out.images[0]?.cause, "not-found");
  assert.equal(out.images[0]?.digest, null);
  assert.ok((out.images[0]?.fix ?? []).length > 0);
});

test("bad usage exits 2 and names the problem", async () => {
  const conc = await runPullmedic(["prepull", api.ref, "--concurrency", "0", ...common()]);
  assert.equal(conc.code, 2);
  assert.match(conc.stderr, /--concurrency "0" must be a whole number from 1 to 16/);
  const file = await runPullmedic(["prepull", api.ref, "--docker-config", "/nonexistent/config.json", ...common()]);
  assert.equal(file.code, 2);
  assert.match(file.stderr, /cannot read --docker-config \/nonexistent\/config\.json: no such file/);
  const none = await runPullmedic(["prepull", ...common()]);
  assert.equal(none.code, 2);
});
