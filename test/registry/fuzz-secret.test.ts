// Random and mutated inputs for the credential parsers: every call returns a DockerConfig or
// throws CredentialError, never anything else, and never echoes a planted password. The PRNG is
// seeded (PULLMEDIC_FUZZ_SEED overrides the default) so that a failure reproduces exactly.

import assert from "node:assert/strict";
import { test } from "node:test";

import { CredentialError, type DockerConfig, parseDockerConfigJson, parseSecretManifest } from "../../agent/registry/index.js";
import { fuzzSeed, prng } from "../support/fuzz.js";

const SEED = fuzzSeed(0x5eed2026);
const INPUTS = 5000;
const MARKER = "QQplantedQQ";

const random = prng(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

const TOKENS = [
  "{",
  "}",
  "[",
  "]",
  '"',
  "'",
  ":",
  ",",
  "\n",
  "\t",
  " ",
  "---\n",
  "&a ",
  "*a",
  "!!binary ",
  "? ",
  "- ",
  "|",
  ">",
  "%YAML 1.2\n",
  "\\u",
  "\\",
  "=",
  "\uFEFF",
  "null",
  "true",
  "1e999",
  "-",
  "#",
  "\u0000",
  "\ud800",
  "kind: List\n",
  "<<: *a\n",
  "...\n",
  "\r\n",
  "data:",
  "stringData:",
  ".dockerconfigjson",
  "auths",
  "auth",
  "type: kubernetes.io/dockercfg",
];

function dockerconfigjson(): string {
  return JSON.stringify({
    auths: {
      "https://index.docker.io/v1/": { auth: b64(`hub:${MARKER}1`) },
      "reg.io:5000/team": { username: "robot", password: `${MARKER}2`, email: "a@b" },
      "ghcr.io": { identitytoken: `${MARKER}3` },
    },
  });
}

function seeds(): string[] {
  const json = dockerconfigjson();
  const legacy = JSON.stringify({ "reg.io": { auth: b64(`u:${MARKER}4`) } });
  const yaml = (type: string, key: string, value: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\n  namespace: shop\ntype: ${type}\ndata:\n  ${key}: ${value}\n`;
  return [
    json,
    legacy,
    yaml("kubernetes.io/dockerconfigjson", ".dockerconfigjson", b64(json)),
    yaml("kubernetes.io/dockercfg", ".dockercfg", b64(legacy)),
    yaml("Opaque", ".dockerconfigjson", b64(json)),
    JSON.stringify(
      { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": json } },
      null,
      2,
    ),
    JSON.stringify({ apiVersion: "v1", kind: "List", items: [{ apiVersion: "v1", kind: "Secret" }] }),
    `apiVersion: v1\nkind: Secret\nstringData:\n  .dockerconfigjson: |\n    ${json}\ntype: kubernetes.io/dockerconfigjson\n`,
    "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
  ];
}

function mutate(text: string): string {
  let s = text;
  // Mostly light damage, so that many inputs still parse and the paths after parsing get exercised.
  const rounds = random() < 0.6 ? 1 : 1 + int(8);
  for (let r = 0; r < rounds; r++) {
    const at = int(s.length + 1);
    switch (int(7)) {
      case 0: // replace one character with a random code unit
        s = s.slice(0, at) + String.fromCharCode(int(0x10000)) + s.slice(at + 1);
        break;
      case 1: // delete a range
        s = s.slice(0, at) + s.slice(at + 1 + int(20));
        break;
      case 2: // insert a token
        s = s.slice(0, at) + pick(TOKENS) + s.slice(at);
        break;
      case 3: {
        // duplicate a slice somewhere else
        const from = int(s.length + 1);
        const piece = s.slice(from, from + int(40));
        s = s.slice(0, at) + piece + s.slice(at);
        break;
      }
      case 4: // truncate
        s = s.slice(0, at);
        break;
      case 5: // flip ASCII case of one character
        s = s.slice(0, at) + (s[at] === s[at]?.toUpperCase() ? (s[at] ?? "").toLowerCase() : (s[at] ?? "").toUpperCase()) + s.slice(at + 1);
        break;
      default: // replace a base64-looking run with other base64-ish text
        s = s.replace(/[A-Za-z0-9+/]{8,}={0,2}/, randomBase64());
    }
  }
  return s;
}

function randomBytes(): string {
  const n = int(300);
  if (random() < 0.5) return Buffer.from(Array.from({ length: n }, () => int(256))).toString("latin1");
  return Array.from({ length: n }, () => String.fromCharCode(int(0x10000))).join("");
}

function randomBase64(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const junk = "-_= \n\r\t.*!";
  const n = int(60);
  let s = "";
  for (let i = 0; i < n; i++) s += random() < 0.9 ? alphabet[int(alphabet.length)] : junk[int(junk.length)];
  return s + "=".repeat(int(3));
}

/** A Secret wrapping random base64, or base64 of a mutated config, as the data value. */
function secretWithRandomData(): string {
  const value = random() < 0.5 ? randomBase64() : b64(mutate(dockerconfigjson()));
  const type = pick(["kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg", "Opaque", ""]);
  const key = pick([".dockerconfigjson", ".dockercfg", "x"]);
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: f\ntype: ${type}\ndata:\n  ${key}: ${value}\n`;
}

/** A config whose only damage is inside a planted password, to check that it never leaks. */
function damagedPassword(): string {
  let password = MARKER + Array.from({ length: int(12) }, () => pick(['"', "\\", "\n", "\t", "{", "}", ":", ",", "a", "\u0001"])).join("");
  if (random() < 0.5) password = pick(['"', "\\", "\u0002"]) + password;
  return `{"auths": {"reg.io": {"username": "u", "password": "${password}"}}}`;
}

function generate(i: number): { input: string; watchLeaks: boolean } {
  switch (i % 5) {
    case 0:
      return { input: randomBytes(), watchLeaks: false };
    case 1:
    case 2:
      return { input: mutate(pick(seeds())), watchLeaks: false };
    case 3:
      return { input: secretWithRandomData(), watchLeaks: false };
    default:
      return random() < 0.5 ? { input: damagedPassword(), watchLeaks: true } : { input: mutate(dockerconfigjson()), watchLeaks: false };
  }
}

/**
 * `watchLeaks`: the planted passwords stayed in value positions. Structural mutations can move one
 * into a registry key, which messages rightly name, so those inputs are only checked for error type.
 */
function check(input: string, i: number, what: string, watchLeaks: boolean, call: () => DockerConfig): void {
  const context = () => `seed ${SEED} (PULLMEDIC_FUZZ_SEED=${SEED}), input #${i} to ${what}: ${JSON.stringify(input)}`;
  let result: DockerConfig;
  try {
    result = call();
  } catch (err) {
    if (!(err instanceof CredentialError)) {
      assert.fail(`${context()}\nthrew ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
    }
    if (watchLeaks && err.message.includes(MARKER)) assert.fail(`${context()}\nthe message leaks a planted secret: ${err.message}`);
    return;
  }
  assert.ok(Array.isArray(result.entries) && typeof result.source === "string", context());
  for (const e of result.entries) {
    assert.equal(typeof e.key, "string", context());
    if (watchLeaks) for (const note of e.notes ?? []) assert.ok(!note.includes(MARKER), `${context()}\na note leaks a planted secret: ${note}`);
  }
}

test(`${INPUTS} random and mutated inputs: a DockerConfig or a CredentialError, nothing else`, { timeout: 120_000 }, (t) => {
  t.diagnostic(`seed ${SEED}`);
  let returned = 0;
  for (let i = 0; i < INPUTS; i++) {
    const { input, watchLeaks } = generate(i);
    const legacy = random() < 0.3;
    let ok = true;
    check(input, i, "parseSecretManifest", watchLeaks, () => parseSecretManifest(input, "fuzz"));
    check(input, i, "parseDockerConfigJson", watchLeaks, () => {
      try {
        return parseDockerConfigJson(input, "fuzz", { legacy });
      } catch (err) {
        ok = false;
        throw err;
      }
    });
    if (ok) returned++;
  }
  t.diagnostic(`${returned} of ${INPUTS} inputs parsed as a config`);
  // A generator that only ever produces garbage would test nothing.
  assert.ok(returned > 50, `only ${returned} inputs parsed; the mutations are too destructive to exercise the parsers`);
});
