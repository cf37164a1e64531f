import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { CredentialError, type DockerConfig, describeCredential, parseDockerConfigJson, parseSecretManifest } from "../../agent/registry/index.js";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const unpadded = (s: string) => b64(s).replace(/=+$/, "");
const PASSWORD = "Hunter2-Sekr3t";
const TOKEN = "eyTokenValue-9f8e7d";

/** Calls fn, expects a CredentialError, checks that no secret leaked into it, and returns it. */
function rejects(fn: () => unknown, secrets: string[] = []): CredentialError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof CredentialError, `expected a CredentialError, got ${String(caught)}`);
  for (const secret of [PASSWORD, TOKEN, ...secrets]) {
    assert.ok(!caught.message.includes(secret), `message leaks ${JSON.stringify(secret)}: ${caught.message}`);
    assert.ok(!(caught.stack ?? "").includes(secret), `stack leaks ${JSON.stringify(secret)}`);
  }
  return caught;
}

function only(config: DockerConfig) {
  assert.equal(config.entries.length, 1);
  const entry = config.entries[0];
  assert.ok(entry);
  return entry;
}

describe(".dockerconfigjson", () => {
  test("auth is base64 of user:password, split on the first colon", () => {
    const cfg = parseDockerConfigJson(JSON.stringify({ auths: { "reg.io": { auth: b64(`robot:${PASSWORD}:x`) } } }), "--docker-config cfg.json");
    const e = only(cfg);
    assert.equal(e.username, "robot");
    assert.equal(e.password, `${PASSWORD}:x`);
    assert.equal(e.key, "reg.io");
    assert.equal(e.rawKey, "reg.io");
    assert.equal(e.source, "--docker-config cfg.json");
    assert.equal(cfg.source, "--docker-config cfg.json");
    assert.equal(e.tokensIgnored, false);
  });

  test("username and password as plain fields", () => {
    const e = only(parseDockerConfigJson(JSON.stringify({ auths: { "reg.io:5000": { username: "u", password: PASSWORD, email: "a@b" } } }), "s"));
    assert.equal(e.username, "u");
    assert.equal(e.password, PASSWORD);
    assert.equal(e.key, "reg.io:5000");
  });

  test("auth overrides username and password, with a note when they differ", () => {
    const e = only(parseDockerConfigJson(JSON.stringify({ auths: { "reg.io": { username: "old", password: "old", auth: b64(`new:${PASSWORD}`) } } }), "s"));
    assert.equal(e.username, "new");
    assert.equal(e.password, PASSWORD);
    assert.ok(e.notes?.some((n) => n.includes("auth") && n.includes("differ")));
    assert.ok(e.notes?.every((n) => !n.includes(PASSWORD) && !n.includes("old")));
  });

  test("an empty auth leaves username and password in place", () => {
    const e = only(parseDockerConfigJson(JSON.stringify({ auths: { "reg.io": { username: "u", password: "p", auth: "" } } }), "s"));
    assert.equal(e.username, "u");
  });

  test("unpadded and padded base64 are both accepted, and line breaks are skipped", () => {
    for (const user of ["a", "ab", "abc", "robot"]) {
      for (const auth of [b64(`${user}:pw`), unpadded(`${user}:pw`), `${b64(`${user}:pw`).slice(0, 4)}\n${b64(`${user}:pw`).slice(4)}`]) {
        const e = only(parseDockerConfigJson(JSON.stringify({ auths: { r: { auth } } }), "s"));
        assert.equal(e.username, user, `auth ${JSON.stringify(auth)}`);
        assert.equal(e.password, "pw");
      }
    }
  });

  test("identitytoken and registrytoken are kept but flagged as ignored by kubelet", () => {
    const e = only(parseDockerConfigJson(JSON.stringify({ auths: { "ghcr.io": { identitytoken: TOKEN, registrytoken: "rt-value" } } }), "Secret a/b"));
    assert.equal(e.identityToken, TOKEN);
    assert.equal(e.registryToken, "rt-value");
    assert.equal(e.tokensIgnored, true);
    assert.equal(e.username, undefined);
    const notes = (e.notes ?? []).join("\n");
    assert.match(notes, /identitytoken and registrytoken are ignored by kubelet/);
    assert.match(notes, /no credentials/);
    const described = describeCredential(e);
    assert.match(described, /ignored by kubelet/);
    assert.ok(!described.includes(TOKEN) && !described.includes("rt-value"));
  });

  test("identitytoken next to username/password: the pair is what kubelet sends", () => {
    const e = only(parseDockerConfigJson(JSON.stringify({ auths: { "ghcr.io": { auth: b64("u:p"), identitytoken: TOKEN } } }), "s"));
    assert.equal(e.tokensIgnored, true);
    assert.equal(e.username, "u");
    assert.ok(!(e.notes ?? []).some((n) => n.includes("no credentials")));
  });

  test("Docker Hub's legacy key is normalized to index.docker.io; schemes and /v1/ /v2/ are dropped", () => {
    const cfg = parseDockerConfigJson(
      JSON.stringify({
        auths: {
          "https://index.docker.io/v1/": { auth: b64("hub:pw") },
          "http://reg.io:5000/v2/": { auth: b64("a:b") },
          "https://reg.io/v2/team": { auth: b64("a:b") },
          "reg.io/v1/": { auth: b64("a:b") },
          "reg.io/v2": { auth: b64("a:b") },
        },
      }),
      "s",
    );
    assert.deepEqual(
      cfg.entries.map((e) => [e.rawKey, e.key]),
      [
        ["https://index.docker.io/v1/", "index.docker.io"],
        ["http://reg.io:5000/v2/", "reg.io:5000"],
        ["https://reg.io/v2/team", "reg.io/team"],
        ["reg.io/v1/", "reg.io"],
        // Only "/v2/" with a slash counts as the API root, as in kubelet.
        ["reg.io/v2", "reg.io/v2"],
      ],
    );
  });

  test("a registry-1.docker.io key gets a note: kubelet never matches it to Docker Hub images", () => {
    const e = only(parseDockerConfigJson(JSON.stringify({ auths: { "registry-1.docker.io": { auth: b64("u:p") } } }), "s"));
    assert.ok(e.notes?.some((n) => n.includes("docker.io")));
  });

  test("field names match case-insensitively, as Go's encoding/json does", () => {
    const e = only(parseDockerConfigJson(JSON.stringify({ Auths: { "reg.io": { Username: "u", PASSWORD: "p" } } }), "s"));
    assert.equal(e.username, "u");
    assert.equal(e.password, "p");
  });

  test("legacy .dockercfg shape when asked for", () => {
    const cfg = parseDockerConfigJson(JSON.stringify({ "https://index.docker.io/v1/": { auth: b64("u:p"), email: "x@y" } }), "s", { legacy: true });
    assert.equal(only(cfg).key, "index.docker.io");
  });

  test("an empty auths object is valid but noted; a null entry is an entry without credentials", () => {
    const empty = parseDockerConfigJson('{"auths": {}}', "s");
    assert.deepEqual(empty.entries, []);
    assert.ok(empty.notes?.some((n) => n.includes("no registry entries")));
    const nullEntry = only(parseDockerConfigJson('{"auths": {"reg.io": null}}', "s"));
    assert.equal(nullEntry.username, undefined);
    assert.ok(nullEntry.notes?.some((n) => n.includes("null")));
  });

  test("credsStore/credHelpers are noted as unsupported next to auths", () => {
    const cfg = parseDockerConfigJson(JSON.stringify({ auths: { r: { auth: b64("u:p") } }, credsStore: "desktop", HttpHeaders: { "User-Agent": "x" } }), "s");
    assert.ok(cfg.notes?.some((n) => n.includes("credsStore") && n.includes("kubelet")));
  });

  test("a key kubelet cannot parse is kept, with the problem, and never matches", () => {
    const e = only(parseDockerConfigJson(JSON.stringify({ auths: { "reg.io:abc": { auth: b64("u:p") } } }), "s"));
    assert.match(e.keyProblem ?? "", /invalid port/);
  });

  test("describeCredential names key, source and user, never the password", () => {
    const e = only(parseDockerConfigJson(JSON.stringify({ auths: { "reg.io": { auth: b64(`robot:${PASSWORD}`) } } }), "Secret shop/regcred"));
    assert.equal(describeCredential(e), 'key "reg.io" from Secret shop/regcred, user "robot"');
    const hub = only(parseDockerConfigJson(JSON.stringify({ auths: { "https://index.docker.io/v1/": { auth: b64(`me:${PASSWORD}`) } } }), "s"));
    assert.equal(describeCredential(hub), 'key "index.docker.io" (written "https://index.docker.io/v1/") from s, user "me"');
    const noPassword = only(parseDockerConfigJson(JSON.stringify({ auths: { r: { username: "u" } } }), "s"));
    assert.match(describeCredential(noPassword), /empty password/);
  });

  describe("invalid input is a CredentialError that names the problem and not the secret", () => {
    const cases: { name: string; text: string; legacy?: boolean; expect: RegExp[]; secrets?: string[] }[] = [
      { name: "empty", text: "  \n", expect: [/is empty/] },
      {
        name: "not JSON",
        text: `{"auths": {"reg.io": {"password": "${PASSWORD}" "x": 1}}}`,
        expect: [/not valid JSON/, /line 1, column 52/, /expected "," or "}"/],
      },
      { name: "JSON cut short", text: `{"auths": {"reg.io": {"password": "${PASSWORD}"`, expect: [/not valid JSON/, /ends inside 3 unclosed objects/] },
      { name: "trailing comma", text: `{\n  "auths": {\n    "reg.io": {"password": "${PASSWORD}",}\n  }\n}`, expect: [/line 3, column 45/, /trailing comma/] },
      { name: "raw control character in a string", text: `{"auths": {"r": {"password": "${PASSWORD}\t"}}}`, expect: [/a tab inside a string/] },
      { name: "single quotes", text: `{'auths': {}}`, expect: [/property name in double quotes/, /column 2/] },
      { name: "byte order mark", text: `\uFEFF{"auths": {}}`, expect: [/byte order mark/] },
      { name: "top level is an array", text: "[]", expect: [/must be a JSON object, found an array/] },
      { name: "top level is null", text: "null", expect: [/found null/] },
      { name: "no auths", text: "{}", expect: [/no "auths" object/] },
      {
        name: "legacy shape given as .dockerconfigjson",
        text: JSON.stringify({ "reg.io": { auth: b64(`u:${PASSWORD}`) } }),
        expect: [/legacy \.dockercfg format/, /"reg\.io"/],
        secrets: [b64(`u:${PASSWORD}`)],
      },
      {
        name: "only credential helpers",
        text: JSON.stringify({ credHelpers: { "gcr.io": "gcloud" } }),
        expect: [/credHelpers/, /does not run Docker credential helpers/],
      },
      { name: "auths is an array", text: '{"auths": ["reg.io"]}', expect: [/"auths" must be an object/, /found an array/] },
      {
        name: "entry is a string",
        text: JSON.stringify({ auths: { "reg.io": PASSWORD } }),
        expect: [/auths\["reg\.io"\] must be an object/, /found a string/],
      },
      {
        name: "username is a number",
        text: '{"auths": {"reg.io": {"username": 5}}}',
        expect: [/auths\["reg\.io"\]\.username must be a string, found a number/],
      },
      { name: "email is an object", text: '{"auths": {"reg.io": {"email": {}}}}', expect: [/\.email must be a string/] },
      {
        name: "auth not base64",
        text: JSON.stringify({ auths: { "reg.io": { auth: "dXNlcjpw YXNz" } } }),
        expect: [/auths\["reg\.io"\]\.auth is not valid base64/, /a space at character 9/],
      },
      {
        name: "auth URL-safe base64",
        text: JSON.stringify({ auths: { r: { auth: "dTpw-_8" } } }),
        expect: [/"-" \(URL-safe base64 is not accepted\) at character 5/],
      },
      {
        name: "auth without colon",
        text: JSON.stringify({ auths: { r: { auth: b64(PASSWORD) } } }),
        expect: [/does not decode to "username:password"/, /no ":"/],
        secrets: [b64(PASSWORD)],
      },
      {
        name: "auth is base64 of a bare token",
        text: JSON.stringify({ auths: { r: { auth: b64(TOKEN) } } }),
        expect: [/does not decode to "username:password"/],
        secrets: [b64(TOKEN)],
      },
      { name: "auth with padding in the middle", text: JSON.stringify({ auths: { r: { auth: "dXM=6" } } }), expect: [/"=" at character 4/] },
      { name: "auth with wrong padding", text: JSON.stringify({ auths: { r: { auth: "dXM==" } } }), expect: [/wrong "=" padding at character 4/] },
      {
        name: "auth with text after the padding",
        text: JSON.stringify({ auths: { r: { auth: "dXM=x=" } } }),
        expect: [/a letter after the "=" padding at character 5/],
      },
      { name: "auth of impossible length", text: JSON.stringify({ auths: { r: { auth: "abcde" } } }), expect: [/length \(5 characters\) cannot be base64/] },
      { name: "HttpHeaders with a number", text: '{"auths": {}, "HttpHeaders": {"X": 1}}', expect: [/HttpHeaders"\."X" must be a string/] },
      {
        name: "auths wrapper given as .dockercfg",
        legacy: true,
        text: JSON.stringify({ auths: { r: { auth: b64("u:p") } } }),
        expect: [/"auths" wrapper/, /kubernetes\.io\/dockerconfigjson/],
      },
    ];
    for (const c of cases) {
      test(c.name, () => {
        const err = rejects(() => parseDockerConfigJson(c.text, "--docker-config cfg.json", { legacy: c.legacy === true }), c.secrets);
        assert.ok(err.message.startsWith("--docker-config cfg.json: "), err.message);
        assert.equal(err.source, "--docker-config cfg.json");
        assert.ok(err.message.endsWith(err.reason));
        for (const re of c.expect) assert.match(err.message, re);
      });
    }
  });
});

describe("Secret manifests", () => {
  const dockerconfigjson = JSON.stringify({ auths: { "reg.io": { auth: b64(`robot:${PASSWORD}`) } } });
  const yamlSecret = (type: string, key: string, value: string, extra = "") =>
    [
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      "  name: regcred",
      "  namespace: shop",
      "  creationTimestamp: 2024-05-01T10:00:00Z",
      `type: ${type}`,
      "data:",
      `  ${key}: ${value}`,
      extra,
    ].join("\n");

  test("YAML with base64 data, as kubectl get secret -o yaml prints it", () => {
    const cfg = parseSecretManifest(yamlSecret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", b64(dockerconfigjson)));
    assert.equal(cfg.source, "Secret shop/regcred");
    assert.equal(cfg.secretName, "regcred");
    assert.equal(cfg.secretNamespace, "shop");
    assert.equal(cfg.secretType, "kubernetes.io/dockerconfigjson");
    const e = only(cfg);
    assert.equal(e.username, "robot");
    assert.equal(e.password, PASSWORD);
    assert.equal(e.source, "Secret shop/regcred");
    assert.equal(describeCredential(e), 'key "reg.io" from Secret shop/regcred, user "robot"');
  });

  test("a given source is kept next to the Secret's name, once", () => {
    const text = yamlSecret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", b64(dockerconfigjson));
    assert.equal(parseSecretManifest(text, "--secret ./regcred.yaml").source, "Secret shop/regcred (--secret ./regcred.yaml)");
    assert.equal(parseSecretManifest(text, "Secret shop/regcred").source, "Secret shop/regcred");
  });

  test("JSON with stringData", () => {
    const text = JSON.stringify(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "pull" },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": dockerconfigjson },
      },
      null,
      2,
    );
    const cfg = parseSecretManifest(text);
    assert.equal(cfg.source, "Secret pull");
    assert.equal(only(cfg).username, "robot");
  });

  test("stringData wins over data for the same key, as on the API server", () => {
    const text = yamlSecret(
      "kubernetes.io/dockerconfigjson",
      ".dockerconfigjson",
      b64('{"auths": {}}'),
      `stringData:\n  .dockerconfigjson: '${dockerconfigjson}'`,
    );
    assert.equal(only(parseSecretManifest(text)).username, "robot");
  });

  test("type kubernetes.io/dockercfg with key .dockercfg holds the legacy shape", () => {
    const legacy = JSON.stringify({ "https://index.docker.io/v1/": { auth: b64("hub:pw") } });
    const e = only(parseSecretManifest(yamlSecret("kubernetes.io/dockercfg", ".dockercfg", b64(legacy))));
    assert.equal(e.key, "index.docker.io");
  });

  describe("what kubelet would reject or ignore is a CredentialError naming it", () => {
    test("type Opaque: names the type, the type needed, and the fix", () => {
      const err = rejects(() => parseSecretManifest(yamlSecret("Opaque", ".dockerconfigjson", b64(dockerconfigjson))), [b64(dockerconfigjson)]);
      assert.match(err.message, /^Secret shop\/regcred: /);
      assert.match(err.message, /type "Opaque"/);
      assert.match(err.message, /set type: kubernetes\.io\/dockerconfigjson/);
    });

    test("no type at all is Opaque", () => {
      const text = yamlSecret("x", ".dockerconfigjson", b64(dockerconfigjson)).replace("type: x\n", "");
      assert.match(rejects(() => parseSecretManifest(text)).message, /type "Opaque"/);
    });

    test("type and key that do not agree", () => {
      const err = rejects(() => parseSecretManifest(yamlSecret("kubernetes.io/dockerconfigjson", ".dockercfg", b64(dockerconfigjson))));
      assert.match(err.message, /type kubernetes\.io\/dockerconfigjson but key \.dockercfg/);
      assert.match(err.message, /needs key \.dockerconfigjson/);
    });

    test("missing data key", () => {
      const err = rejects(() => parseSecretManifest(yamlSecret("kubernetes.io/dockerconfigjson", "config.json", b64(dockerconfigjson))));
      assert.match(err.message, /no data key \.dockerconfigjson/);
      assert.match(err.message, /"config\.json"/);
    });

    test("empty data value", () => {
      assert.match(
        rejects(() => parseSecretManifest(yamlSecret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", '""'))).message,
        /\.dockerconfigjson is empty/,
      );
    });

    test("undecodable base64 names the key and the position", () => {
      const bad = `${b64(dockerconfigjson).slice(0, 8)}*${b64(dockerconfigjson).slice(8)}`;
      const err = rejects(() => parseSecretManifest(yamlSecret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", bad)), [bad]);
      assert.match(err.message, /data key "\.dockerconfigjson" is not valid base64/);
      assert.match(err.message, /character 9/);
    });

    test("unpadded base64 in data is rejected, as the API server rejects it", () => {
      const value = unpadded(`${dockerconfigjson}x`);
      assert.notEqual(value.length % 4, 0);
      assert.match(
        rejects(() => parseSecretManifest(yamlSecret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", value))).message,
        /without the "=" padding/,
      );
    });

    test("plain JSON under data gets the stringData hint", () => {
      const err = rejects(
        () => parseSecretManifest(yamlSecret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", `'${dockerconfigjson}'`)),
        [b64(`robot:${PASSWORD}`)],
      );
      assert.match(err.message, /stringData/);
    });

    test("JSON inside .dockerconfigjson that does not parse names the key and the position", () => {
      const broken = `{"auths": {"reg.io": {"password": "${PASSWORD}"}}`;
      const err = rejects(() => parseSecretManifest(yamlSecret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", b64(broken))), [b64(broken)]);
      assert.match(err.message, /data key \.dockerconfigjson is not valid JSON: .* at line 1, column \d+/);
    });

    test("a bad entry inside .dockerconfigjson names the key path", () => {
      const inner = JSON.stringify({ auths: { "reg.io": { auth: b64(PASSWORD) } } });
      const err = rejects(
        () => parseSecretManifest(yamlSecret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", b64(inner))),
        [b64(PASSWORD), b64(inner)],
      );
      assert.match(err.message, /data key \.dockerconfigjson: auths\["reg\.io"\]\.auth does not decode/);
    });

    test("not a Secret", () => {
      const err = rejects(() => parseSecretManifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n", "--secret cm.yaml"));
      assert.equal(err.message, "--secret cm.yaml: is a ConfigMap, not a Secret");
    });

    test("a List of Secrets is refused clearly", () => {
      const list = JSON.stringify({ apiVersion: "v1", kind: "List", items: [{ kind: "Secret" }, { kind: "Secret" }] });
      assert.match(rejects(() => parseSecretManifest(list)).message, /is a List of 2 items, not a single Secret/);
    });

    test("several YAML documents are refused clearly", () => {
      const text = `${yamlSecret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", b64(dockerconfigjson))}\n---\n${yamlSecret("Opaque", "a", "Yg==")}`;
      assert.match(rejects(() => parseSecretManifest(text)).message, /has 2 YAML documents/);
    });

    test("invalid YAML names the line", () => {
      const text = `apiVersion: v1\nkind: Secret\ndata:\n  .dockerconfigjson: ${b64(dockerconfigjson)}\n   password: "${PASSWORD}\n`;
      const err = rejects(() => parseSecretManifest(text, "--secret s.yaml"), [b64(dockerconfigjson)]);
      assert.match(err.message, /^--secret s\.yaml: is not valid YAML: .* at line \d+, column \d+$/);
    });

    test("invalid JSON manifest names the line", () => {
      const err = rejects(() => parseSecretManifest(`{\n  "apiVersion": "v1",\n  "kind": "Secret"\n  "data": {}\n}`));
      assert.match(err.message, /the manifest is not valid JSON: expected "," or "}", found "\\"" at line 4, column 3/);
    });

    test("wrong apiVersion, no kind, a scalar document, an empty text", () => {
      assert.match(rejects(() => parseSecretManifest("apiVersion: apps/v1\nkind: Secret\n")).message, /apiVersion "apps\/v1"; a Secret is apiVersion: v1/);
      assert.match(rejects(() => parseSecretManifest("apiVersion: v1\n")).message, /no "kind"/);
      assert.match(rejects(() => parseSecretManifest("just text")).message, /not a Kubernetes object/);
      assert.match(rejects(() => parseSecretManifest("")).message, /is empty/);
      assert.match(rejects(() => parseSecretManifest("# only a comment\n")).message, /no YAML document/);
    });

    test("data values that are not strings name the key", () => {
      assert.match(
        rejects(() => parseSecretManifest("apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: 12\n")).message,
        /data key "\.dockerconfigjson" must be a base64 string, found a number/,
      );
      assert.match(rejects(() => parseSecretManifest("apiVersion: v1\nkind: Secret\nstringData: [a]\n")).message, /"stringData" must be a mapping/);
    });

    test("YAML alias bombs are refused, not expanded", () => {
      const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
      for (let i = 0; i < 12; i++)
        lines.push(
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
        );
      assert.match(rejects(() => parseSecretManifest(lines.join("\n"))).message, /aliases/);
    });
  });
});
