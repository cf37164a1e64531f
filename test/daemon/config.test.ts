import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../agent/config/index.js";
import { ConfigError } from "../../core/config/index.js";
import { formatDurationMs, parseDuration } from "../../core/text/index.js";

const dir = mkdtempSync(join(tmpdir(), "pm-config-"));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function problems(sources: Parameters<typeof loadConfig>[0]): Promise<string[]> {
  try {
    await loadConfig(sources);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail("expected a ConfigError");
}

test("no file: sane defaults, acting before kubelet's 85 % and listening on loopback only", async () => {
  const c = await loadConfig({ env: { NODE_NAME: "node-a" } });
  assert.equal(c.nodeName, "node-a");
  assert.equal(c.listen, "127.0.0.1:9476");
  assert.equal(c.disk.interval, 30_000);
  assert.deepEqual([c.prune.highWatermarkPercent, c.prune.lowWatermarkPercent, c.prune.minUnusedAge], [80, 70, 24 * 3_600_000]);
  assert.equal(c.prune.schedule, "0 * * * *");
  assert.equal(c.stateFile, "/var/lib/pullmedic/state.json");
  assert.equal(c.quota.registryUrl, "https://registry-1.docker.io");
});

test("file, then environment, then flags: the later wins", async () => {
  const f = file("layers.yaml", "listen: 0.0.0.0:9476\nhostsDir: /from/file\nlogLevel: debug\nprune:\n  lowWatermarkPercent: 60\n  minUnusedAge: 2h\n");
  const c = await loadConfig({ file: f, env: { PULLMEDIC_LISTEN: "127.0.0.1:1234", PULLMEDIC_HOSTS_DIR: "/from/env" }, flags: { hostsDir: "/from/flag" } });
  assert.equal(c.listen, "127.0.0.1:1234");
  assert.equal(c.hostsDir, "/from/flag");
  assert.equal(c.logLevel, "debug");
  assert.equal(c.prune.lowWatermarkPercent, 60);
  assert.equal(c.prune.minUnusedAge, 7_200_000);
  assert.equal(c.prune.highWatermarkPercent, 80, "untouched keys keep their defaults");
});

test("every problem is reported at once, each naming its key and where it came from", async () => {
  const f = file(
    "bad.yaml",
    [
      "prune:",
      "  hihgWatermarkPercent: 90",
      "  lowWatermarkPercent: 95",
      "disk:",
      "  interval: soon",
      "listen: nope",
      "quota:",
      "  registryUrl: ftp://x",
      "colour: blue",
      "prepull:",
      "  schedule: every hour",
      "",
    ].join("\n"),
  );
  const p = await problems({ file: f, env: { PULLMEDIC_LOG_LEVEL: "loud" } });
  const expect = [
    /^prune\.hihgWatermarkPercent: unknown key \(did you mean highWatermarkPercent\?\) in .*bad\.yaml$/,
    /^prune\.lowWatermarkPercent: lowWatermarkPercent must be below highWatermarkPercent/,
    /^disk\.interval: "soon" is not a duration; write it like 30s/,
    /^listen: must be host:port/,
    /^quota\.registryUrl: must be an http:\/\/ or https:\/\/ URL/,
    /^colour: unknown key/,
    /^prepull\.schedule: "every hour" is not a cron schedule/,
    /^logLevel: .*"debug".*\(from PULLMEDIC_LOG_LEVEL\)$/,
  ];
  for (const re of expect)
    assert.ok(
      p.some((x) => re.test(x)),
      `${re} in\n${p.join("\n")}`,
    );
});

test("a file that is not valid YAML, not a mapping, or not there says so", async () => {
  assert.match((await problems({ file: file("broken.yaml", "prune: [\n"), env: {} }))[0] ?? "", /broken\.yaml: .*\(line \d+\)|broken\.yaml: /);
  assert.match((await problems({ file: file("list.yaml", "- a\n- b\n"), env: {} }))[0] ?? "", /top level must be a mapping/);
  assert.match((await problems({ file: join(dir, "missing.yaml"), env: {} }))[0] ?? "", /cannot read config file .*missing\.yaml: no such file/);
  assert.match((await problems({ file: file("dup.yaml", "listen: a:1\nlisten: b:2\n"), env: {} }))[0] ?? "", /dup\.yaml/);
});

test("durations read the way people write them", () => {
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("2d"), 172_800_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("30"), undefined);
  assert.equal(parseDuration("soon"), undefined);
  assert.equal(formatDurationMs(5_400_000), "1h30m");
});

test("an empty file is the defaults", async () => {
  const c = await loadConfig({ file: file("empty.yaml", "# nothing yet\n"), env: {} });
  assert.equal(c.disk.interval, 30_000);
});

test("a pre-pull target may carry its own credentials file and schedule; a Secret by name is refused with the way out", async () => {
  const ok = await loadConfig({
    file: file(
      "prepull.yaml",
      'prepull:\n  images:\n    - nginx:1.27\n    - { image: ghcr.io/acme/api:2, dockerConfig: /etc/pullmedic/ghcr.json, schedule: "*/30 * * * *" }\n',
    ),
    env: {},
  });
  assert.deepEqual(ok.prepull.images[1], { image: "ghcr.io/acme/api:2", dockerConfig: "/etc/pullmedic/ghcr.json", schedule: "*/30 * * * *" });
  assert.equal(ok.prepull.schedule, "0 */6 * * *");
  const p = await problems({ file: file("secret.yaml", "prepull:\n  images:\n    - { image: ghcr.io/acme/api:2, secret: regcred }\n"), env: {} });
  assert.match(p[0] ?? "", /^prepull\.images\.0\.secret: the pre-puller does not read Secrets through the API.*dockerConfig/);
});

test("prune settings the planner would refuse stop the agent at start, naming the key", async () => {
  const f = file(
    "prune-policy.yaml",
    'prune:\n  protected: ["registry.k8s.io/*", "ghcr.io/acme/*/api", "Nginx:1.27"]\n  minUnusedAge: 48h\n  maxUnusedAge: 24h\n',
  );
  const p = await problems({ file: f, env: {} });
  assert.ok(
    p.some((x) => /^prune\.protected\.1: "ghcr\.io\/acme\/\*\/api" is not a protection pattern: a "\*" may only end a pattern/.test(x)),
    p.join("\n"),
  );
  assert.ok(
    p.some((x) => /^prune\.protected\.2: "Nginx:1\.27" is not a protection pattern/.test(x)),
    p.join("\n"),
  );
  assert.ok(
    p.some((x) => /^prune\.maxUnusedAge: maxUnusedAge must be longer than minUnusedAge/.test(x)),
    p.join("\n"),
  );
  assert.ok(!p.some((x) => x.startsWith("prune.protected.0")), p.join("\n"));
  const ok = await loadConfig({
    file: file("prune-ok.yaml", 'prune:\n  protected: ["registry.k8s.io/*", "nginx:*", "ghcr.io/acme/critical:1.0"]\n  maxUnusedAge: 30d\n'),
    env: {},
  });
  assert.deepEqual(ok.prune.protected, ["registry.k8s.io/*", "nginx:*", "ghcr.io/acme/critical:1.0"]);
});

test("a port past 65535 is named as the listen key's problem, not a crash at start", async () => {
  const p = await problems({ env: { PULLMEDIC_LISTEN: "127.0.0.1:70000" } });
  assert.match(p[0] ?? "", /^listen: the port must be 0\.\.65535 \(from PULLMEDIC_LISTEN\)$/);
});

test("the pod watch's keys: defaults, the opt-in to read Secrets, and clear errors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pm-config-kube-"));
  const file = join(dir, "agent.yaml");
  writeFileSync(file, "kube:\n  enabled: auto\n");
  const defaults = await loadConfig({ file, env: {} });
  assert.equal(defaults.kube.enabled, "auto");
  assert.equal(defaults.kube.readSecrets, false, "reading Secrets is opt-in");
  assert.equal(defaults.kube.events, true);
  assert.equal(defaults.kube.imageFsPressurePercent, 85);
  assert.equal(defaults.kube.dedupeWindow, 300_000);
  writeFileSync(file, "kube:\n  enabled: maybe\n  readSecret: true\n  dedupeWindow: soon\n");
  const err = await loadConfig({ file, env: {} }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConfigError);
  const text = err.message;
  assert.match(text, /kube\.enabled/);
  assert.match(text, /kube\.readSecret: unknown key \(did you mean readSecrets\?\)/);
  assert.match(text, /kube\.dedupeWindow: "soon" is not a duration/);
  const flagged = await loadConfig({ env: {}, flags: { "kube.kubeconfig": "/etc/kube/config" } });
  assert.equal(flagged.kube.kubeconfig, "/etc/kube/config");
});
