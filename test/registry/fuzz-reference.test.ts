import assert from "node:assert/strict";
import { test } from "node:test";
import { diagnoseImage } from "../../agent/diagnose/index.js";
import { ImageReferenceError, nodePlatform, parseReference, tryParseReference } from "../../core/image/index.js";
import { runPullmedic } from "../support/cli.js";
import { fuzzSeed, prng } from "../support/fuzz.js";

// diagnose must never crash on an image string: the parser either answers or names the problem.

const SEED = fuzzSeed(0x7e4e4e4e);
const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);

const VALID = [
  "nginx",
  "nginx:1.27",
  "library/nginx:1.27-alpine",
  "docker.io/bitnami/redis:7",
  `ghcr.io/org/app@sha256:${"a".repeat(64)}`,
  "127.0.0.1:5000/a/b:c",
  "[::1]:5000/x:1",
  "localhost/app",
  "registry.k8s.io/pause:3.10",
  "quay.io/a__b/c--d.e:v1.2.3_rc",
];
const TOKENS = [
  "/",
  ":",
  "@",
  ".",
  "_",
  "__",
  "-",
  "sha256:",
  "sha512:",
  "[",
  "]",
  "::1",
  "A",
  "Z",
  " ",
  "\t",
  "\n",
  "%",
  "é",
  "\u0000",
  "\ud800",
  "https://",
  "localhost",
  "0".repeat(64),
  "x".repeat(130),
];

function mutate(s: string): string {
  let out = s;
  for (let i = 1 + int(4); i > 0; i--) {
    const at = int(out.length + 1);
    switch (int(5)) {
      case 0:
        out = out.slice(0, at) + (TOKENS[int(TOKENS.length)] ?? "") + out.slice(at);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + 1 + int(6));
        break;
      case 2:
        out = out.slice(0, at) + String.fromCharCode(int(0x10000)) + out.slice(at + 1);
        break;
      case 3:
        out = out.slice(0, at) + out.slice(at).toUpperCase();
        break;
      default:
        out = out.slice(0, at);
    }
  }
  return out;
}

function randomString(): string {
  return Array.from({ length: int(80) }, () => (rand() < 0.5 ? (TOKENS[int(TOKENS.length)] ?? "") : String.fromCharCode(32 + int(95)))).join("");
}

const inputs = Array.from({ length: 5000 }, (_, i) => (i % 2 ? mutate(VALID[int(VALID.length)] ?? "") : randomString()));

test(`fuzz (seed ${SEED}): parseReference answers or throws ImageReferenceError naming the input, never anything else`, () => {
  for (const [i, input] of inputs.entries()) {
    try {
      const ref = parseReference(input);
      // Whatever parsed must parse again to itself: normalization is stable.
      assert.equal(parseReference(ref.normalized).normalized, ref.normalized, `input #${i} ${JSON.stringify(input)}`);
    } catch (err) {
      assert.ok(err instanceof ImageReferenceError, `input #${i} ${JSON.stringify(input)} threw ${String(err)}`);
      assert.match(err.message, /^invalid image reference /);
    }
    const again = tryParseReference(input);
    assert.ok(again instanceof ImageReferenceError || typeof again.normalized === "string");
  }
});

test(`fuzz (seed ${SEED}): the diagnosis of an invalid string is invalid-reference with a fix, never a crash`, async () => {
  const invalid = inputs.filter((s) => tryParseReference(s) instanceof ImageReferenceError).slice(0, 500);
  assert.ok(invalid.length > 100);
  for (const image of invalid) {
    const d = await diagnoseImage({ image, platform: nodePlatform(), hostsDir: "/nonexistent", timeoutMs: 1000, pullDeadlineMs: 1000, pull: false });
    assert.equal(d.cause, "invalid-reference", JSON.stringify(image));
    assert.ok(d.fix.length > 0 && d.summary.length > 0);
  }
});

test("odd image arguments on the command line: a diagnosis or a usage error, never a stack trace", async () => {
  for (const image of ["", " ", "UPPER/Case", "a".repeat(300), "x@sha256:zz", "nginx:", "\u00e9t\u00e9", "--"]) {
    const r = await runPullmedic(["diagnose", "--json", "--timeout", "1", "--", image]);
    const shown = `${JSON.stringify(image)} exited ${r.code}: ${r.stdout} ${r.stderr}`;
    assert.ok(r.code === 1 || r.code === 2, shown);
    const out = JSON.parse(r.stdout) as { cause?: string; error?: { kind: string } };
    assert.ok(out.cause === "invalid-reference" || out.error?.kind === "usage", shown);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
