import assert from "node:assert/strict";
import { test } from "node:test";

import { ImageReferenceError, manifestReference, parseReference, sameImageName, tagOrDefault, tryParseReference } from "../../core/image/index.js";

const HEX64 = "6ad5e6e3a8f3bcc6ea4e3fc4c7f5c6e1a3c0f2b8d9e4a1b7c6d5e4f3a2b1c0d9";
const SHA256 = `sha256:${HEX64}`;
const SHA512 = `sha512:${HEX64}${HEX64}`;

interface ValidCase {
  input: string;
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
  normalized: string;
  familiar: string;
  apiHost: string;
}

const VALID: ValidCase[] = [
  {
    input: "nginx",
    domain: "docker.io",
    path: "library/nginx",
    normalized: "docker.io/library/nginx:latest",
    familiar: "nginx:latest",
    apiHost: "registry-1.docker.io",
  },
  {
    input: "nginx:1.27",
    domain: "docker.io",
    path: "library/nginx",
    tag: "1.27",
    normalized: "docker.io/library/nginx:1.27",
    familiar: "nginx:1.27",
    apiHost: "registry-1.docker.io",
  },
  {
    input: "library/nginx",
    domain: "docker.io",
    path: "library/nginx",
    normalized: "docker.io/library/nginx:latest",
    familiar: "nginx:latest",
    apiHost: "registry-1.docker.io",
  },
  {
    input: "docker.io/nginx",
    domain: "docker.io",
    path: "library/nginx",
    normalized: "docker.io/library/nginx:latest",
    familiar: "nginx:latest",
    apiHost: "registry-1.docker.io",
  },
  {
    input: "index.docker.io/library/nginx",
    domain: "docker.io",
    path: "library/nginx",
    normalized: "docker.io/library/nginx:latest",
    familiar: "nginx:latest",
    apiHost: "registry-1.docker.io",
  },
  {
    input: "index.docker.io/nginx:1",
    domain: "docker.io",
    path: "library/nginx",
    tag: "1",
    normalized: "docker.io/library/nginx:1",
    familiar: "nginx:1",
    apiHost: "registry-1.docker.io",
  },
  {
    input: "bitnami/redis:7.4",
    domain: "docker.io",
    path: "bitnami/redis",
    tag: "7.4",
    normalized: "docker.io/bitnami/redis:7.4",
    familiar: "bitnami/redis:7.4",
    apiHost: "registry-1.docker.io",
  },
  {
    // Nested under library/ keeps the prefix in the familiar form, as docker does.
    input: "library/distros/ubuntu",
    domain: "docker.io",
    path: "library/distros/ubuntu",
    normalized: "docker.io/library/distros/ubuntu:latest",
    familiar: "library/distros/ubuntu:latest",
    apiHost: "registry-1.docker.io",
  },
  {
    input: "ghcr.io/org/app:v1",
    domain: "ghcr.io",
    path: "org/app",
    tag: "v1",
    normalized: "ghcr.io/org/app:v1",
    familiar: "ghcr.io/org/app:v1",
    apiHost: "ghcr.io",
  },
  {
    input: "localhost/app",
    domain: "localhost",
    path: "app",
    normalized: "localhost/app:latest",
    familiar: "localhost/app:latest",
    apiHost: "localhost",
  },
  {
    input: "localhost:5000/x",
    domain: "localhost:5000",
    path: "x",
    normalized: "localhost:5000/x:latest",
    familiar: "localhost:5000/x:latest",
    apiHost: "localhost:5000",
  },
  {
    input: "127.0.0.1:5000/a/b:c",
    domain: "127.0.0.1:5000",
    path: "a/b",
    tag: "c",
    normalized: "127.0.0.1:5000/a/b:c",
    familiar: "127.0.0.1:5000/a/b:c",
    apiHost: "127.0.0.1:5000",
  },
  {
    input: "[::1]:5000/x:1",
    domain: "[::1]:5000",
    path: "x",
    tag: "1",
    normalized: "[::1]:5000/x:1",
    familiar: "[::1]:5000/x:1",
    apiHost: "[::1]:5000",
  },
  {
    input: "[fc00::1]/app",
    domain: "[fc00::1]",
    path: "app",
    normalized: "[fc00::1]/app:latest",
    familiar: "[fc00::1]/app:latest",
    apiHost: "[fc00::1]",
  },
  {
    input: "registry.k8s.io/pause:3.10",
    domain: "registry.k8s.io",
    path: "pause",
    tag: "3.10",
    normalized: "registry.k8s.io/pause:3.10",
    familiar: "registry.k8s.io/pause:3.10",
    apiHost: "registry.k8s.io",
  },
  {
    input: "registry.local:5000/team/app",
    domain: "registry.local:5000",
    path: "team/app",
    normalized: "registry.local:5000/team/app:latest",
    familiar: "registry.local:5000/team/app:latest",
    apiHost: "registry.local:5000",
  },
  {
    // A first part with capitals can only be a host: paths are lowercase.
    input: "Foo/bar",
    domain: "Foo",
    path: "bar",
    normalized: "Foo/bar:latest",
    familiar: "Foo/bar:latest",
    apiHost: "Foo",
  },
  {
    input: "Registry.Example.COM/team/app:1",
    domain: "Registry.Example.COM",
    path: "team/app",
    tag: "1",
    normalized: "Registry.Example.COM/team/app:1",
    familiar: "Registry.Example.COM/team/app:1",
    apiHost: "Registry.Example.COM",
  },
  {
    input: `x@${SHA256}`,
    domain: "docker.io",
    path: "library/x",
    digest: SHA256,
    normalized: `docker.io/library/x@${SHA256}`,
    familiar: `x@${SHA256}`,
    apiHost: "registry-1.docker.io",
  },
  {
    input: `x:tag@${SHA256}`,
    domain: "docker.io",
    path: "library/x",
    tag: "tag",
    digest: SHA256,
    normalized: `docker.io/library/x:tag@${SHA256}`,
    familiar: `x:tag@${SHA256}`,
    apiHost: "registry-1.docker.io",
  },
  {
    input: `ghcr.io/o/a@${SHA256}`,
    domain: "ghcr.io",
    path: "o/a",
    digest: SHA256,
    normalized: `ghcr.io/o/a@${SHA256}`,
    familiar: `ghcr.io/o/a@${SHA256}`,
    apiHost: "ghcr.io",
  },
  {
    input: `quay.io/o/a:1@${SHA512}`,
    domain: "quay.io",
    path: "o/a",
    tag: "1",
    digest: SHA512,
    normalized: `quay.io/o/a:1@${SHA512}`,
    familiar: `quay.io/o/a:1@${SHA512}`,
    apiHost: "quay.io",
  },
  {
    // Unregistered algorithms pass when they fit the grammar; the runtime decides support.
    input: `r.io/a@multihash+base58:${HEX64.slice(0, 32)}`,
    domain: "r.io",
    path: "a",
    digest: `multihash+base58:${HEX64.slice(0, 32)}`,
    normalized: `r.io/a@multihash+base58:${HEX64.slice(0, 32)}`,
    familiar: `r.io/a@multihash+base58:${HEX64.slice(0, 32)}`,
    apiHost: "r.io",
  },
  {
    input: "my__org/some--app.v2_x:Tag_1.0-rc.1",
    domain: "docker.io",
    path: "my__org/some--app.v2_x",
    tag: "Tag_1.0-rc.1",
    normalized: "docker.io/my__org/some--app.v2_x:Tag_1.0-rc.1",
    familiar: "my__org/some--app.v2_x:Tag_1.0-rc.1",
    apiHost: "registry-1.docker.io",
  },
  {
    input: "a---b.c/d",
    domain: "a---b.c",
    path: "d",
    normalized: "a---b.c/d:latest",
    familiar: "a---b.c/d:latest",
    apiHost: "a---b.c",
  },
  {
    input: "registry-1.docker.io/library/nginx:1",
    domain: "registry-1.docker.io",
    path: "library/nginx",
    tag: "1",
    normalized: "registry-1.docker.io/library/nginx:1",
    familiar: "registry-1.docker.io/library/nginx:1",
    apiHost: "registry-1.docker.io",
  },
  {
    // Without a "/" there is no host: upstream reads this as Docker Hub image "localhost" tag "5000".
    input: "localhost:5000",
    domain: "docker.io",
    path: "library/localhost",
    tag: "5000",
    normalized: "docker.io/library/localhost:5000",
    familiar: "localhost:5000",
    apiHost: "registry-1.docker.io",
  },
  {
    input: `tag_ok:_${"a".repeat(127)}`,
    domain: "docker.io",
    path: "library/tag_ok",
    tag: `_${"a".repeat(127)}`,
    normalized: `docker.io/library/tag_ok:_${"a".repeat(127)}`,
    familiar: `tag_ok:_${"a".repeat(127)}`,
    apiHost: "registry-1.docker.io",
  },
  {
    input: `${"a".repeat(253)}/b`,
    domain: "docker.io",
    path: `${"a".repeat(253)}/b`,
    normalized: `docker.io/${"a".repeat(253)}/b:latest`,
    familiar: `${"a".repeat(253)}/b:latest`,
    apiHost: "registry-1.docker.io",
  },
];

interface InvalidCase {
  input: string;
  /** Distinctive parts of the message, each must appear. */
  says: string[];
}

const INVALID: InvalidCase[] = [
  { input: "", says: ["it is empty"] },
  { input: "   ", says: ["only whitespace"] },
  { input: " nginx", says: ["leading or trailing whitespace"] },
  { input: "nginx:1.27\n", says: ["leading or trailing whitespace"] },
  { input: "nginx 1.27", says: ["a space at position 6"] },
  { input: "nginx\t:1", says: ["a tab"] },
  { input: "https://ghcr.io/org/app:1", says: ['remove the scheme "https://"'] },
  { input: "oci://r.io/a", says: ['remove the scheme "oci://"'] },
  { input: "ngïnx", says: ['"ï" (U+00EF)', "only ASCII"] },
  { input: "Nginx:1", says: ['repository name must be lowercase ("Nginx")'] },
  { input: "Ubuntu", says: ['must be lowercase ("Ubuntu")'] },
  { input: "myorg/MyApp", says: ['must be lowercase ("myorg/MyApp")'] },
  { input: "ghcr.io/Org/app:1", says: ['must be lowercase ("Org/app")'] },
  { input: "foo..bar", says: ['"foo..bar"', 'separator ".."'] },
  { input: "foo___bar", says: ['separator "___"'] },
  { input: "foo._bar", says: ['separator "._"'] },
  { input: "-foo", says: ['"-foo"', "must start and end with a lowercase letter or digit"] },
  { input: "foo-", says: ["must start and end"] },
  { input: "org/.app", says: ['".app"', "must start and end"] },
  { input: "foo/", says: ['ends with "/"'] },
  { input: "/foo", says: ['starts with "/"'] },
  { input: "foo//bar", says: ['contains "//"'] },
  { input: "org/a+b", says: ['"a+b"', 'the character "+"'] },
  { input: "ghcr.io/", says: ['nothing follows the registry host "ghcr.io"'] },
  { input: "foo:", says: ['nothing follows the last ":"'] },
  { input: "foo@", says: ['nothing follows "@"'] },
  { input: `foo:@${SHA256}`, says: ['tag between ":" and "@" is empty'] },
  { input: ":latest", says: ['repository name is missing before ":"'] },
  { input: `@${SHA256}`, says: ['repository name is missing before "@"'] },
  { input: "foo:bar:baz", says: ['tag "bar:baz" contains ":"'] },
  { input: `foo:${"a".repeat(129)}`, says: ["tag is 129 characters, the limit is 128"] },
  { input: "foo:.hidden", says: ['tag ".hidden"', 'must start with a letter, digit or "_"'] },
  { input: "foo:-rc1", says: ['tag "-rc1"', "must start with"] },
  { input: "foo:1.0+build.5", says: ['tag "1.0+build.5"', 'the character "+"'] },
  { input: "foo@sha256:abc", says: ["sha256 digest must have 64 hex characters, found 3"] },
  { input: `foo@sha256:${HEX64}0`, says: ["must have 64 hex characters, found 65"] },
  { input: `foo@sha256:${HEX64.toUpperCase()}`, says: ["sha256 digest must be lowercase hex"] },
  { input: `foo@sha512:${HEX64}`, says: ["sha512 digest must have 128 hex characters, found 64"] },
  { input: `foo@SHA256:${HEX64}`, says: ['digest algorithm "SHA256" must be lowercase'] },
  { input: `foo@sha256:${HEX64.slice(0, 63)}g`, says: ['the character "g"', "must be hex"] },
  { input: "foo@latest", says: ['digest "latest" must be "algorithm:hex"'] },
  { input: `foo@:${HEX64}`, says: ["has no algorithm"] },
  { input: `foo@1sha:${HEX64}`, says: ['digest algorithm "1sha" is not valid'] },
  { input: "foo@md5:0123456789abcdef", says: ["too short", "at least 32 hex characters"] },
  { input: `foo@${SHA256}:v1`, says: ['second ":"', "tag goes before the digest"] },
  { input: `foo@${SHA256}@${SHA256}`, says: ['more than one "@"'] },
  { input: HEX64, says: ["64-character hex image ID"] },
  { input: `${"a".repeat(256)}`, says: ["repository path is 264 characters, the limit is 255"] },
  { input: `r.io/${"a".repeat(256)}`, says: ["repository path is 256 characters, the limit is 255"] },
  { input: "foo_bar.com/app", says: ['registry host "foo_bar.com"', 'the character "_"'] },
  { input: "-bad.io/app", says: ['label "-bad"', 'must not start or end with "-"'] },
  { input: "a..io/app", says: ["empty label"] },
  { input: "localhost:/app", says: ['nothing follows ":"', "port number"] },
  { input: "r.io:http/app", says: ['port "http" must be a number'] },
  { input: "::1/app", says: ["IPv6 address must be in brackets"] },
  { input: "[::1/app", says: ['no closing "]"'] },
  { input: "[::1]5000/app", says: ['unexpected "5000" after the IPv6 address'] },
  { input: "[fe80::1%eth0]:5000/app", says: ["is not an IPv6 address", "zone IDs"] },
  { input: "[::ffff:1.2.3.4]/app", says: ["is not an IPv6 address"] },
  { input: ":5000/app", says: ["host name is empty"] },
];

for (const c of VALID) {
  test(`valid: ${c.input.length > 60 ? `${c.input.slice(0, 60)}…` : c.input}`, () => {
    const ref = parseReference(c.input);
    assert.deepEqual(ref, {
      input: c.input,
      domain: c.domain,
      path: c.path,
      ...(c.tag !== undefined ? { tag: c.tag } : {}),
      ...(c.digest !== undefined ? { digest: c.digest } : {}),
      normalized: c.normalized,
      familiar: c.familiar,
      apiHost: c.apiHost,
    });
    // The normalized form is itself a reference that normalizes to itself.
    assert.equal(parseReference(ref.normalized).normalized, ref.normalized);
    assert.equal(parseReference(ref.familiar).normalized, ref.normalized);
  });
}

for (const c of INVALID) {
  test(`invalid: ${JSON.stringify(c.input.length > 60 ? `${c.input.slice(0, 60)}…` : c.input)}`, () => {
    assert.throws(
      () => parseReference(c.input),
      (err: unknown) => {
        assert.ok(err instanceof ImageReferenceError, `expected ImageReferenceError, got ${String(err)}`);
        assert.equal(err.input, c.input);
        assert.ok(err.message.startsWith("invalid image reference "), err.message);
        assert.ok(err.message.endsWith(`: ${err.reason}`), err.message);
        for (const part of c.says) assert.ok(err.reason.includes(part), `${JSON.stringify(part)} not in: ${err.message}`);
        return true;
      },
    );
  });
}

test("the message shows the input and the reason the way diagnose prints it", () => {
  const err = tryParseReference("Nginx:1");
  assert.ok(err instanceof ImageReferenceError);
  assert.equal(err.message, 'invalid image reference "Nginx:1": repository name must be lowercase ("Nginx")');
  assert.equal(err.name, "ImageReferenceError");
});

test("a very long input is cut in the message but kept whole in .input", () => {
  const input = `r.io/${"a".repeat(400)}`;
  const err = tryParseReference(input);
  assert.ok(err instanceof ImageReferenceError);
  assert.equal(err.input, input);
  assert.ok(err.message.length < 400, err.message);
  assert.ok(err.message.includes("…"));
});

test("control characters are shown escaped, not printed raw", () => {
  const err = tryParseReference("ngi\u0000nx");
  assert.ok(err instanceof ImageReferenceError);
  assert.ok(err.message.includes("U+0000"), err.message);
  assert.ok(err.message.includes("\\u0000"), err.message);
  assert.ok(!err.message.includes("\u0000"));
});

test("non-string input from untyped callers becomes a ImageReferenceError", () => {
  const err = tryParseReference(undefined as unknown as string);
  assert.ok(err instanceof ImageReferenceError);
  assert.match(err.reason, /expected a string, got undefined/);
});

test("tryParseReference returns the reference when valid", () => {
  const ref = tryParseReference("nginx:1.27");
  assert.ok(!(ref instanceof ImageReferenceError));
  assert.equal(ref.normalized, "docker.io/library/nginx:1.27");
});

const SAME: Array<[string, string, boolean]> = [
  ["nginx", "docker.io/library/nginx:latest", true],
  ["nginx", "nginx:latest", true],
  ["index.docker.io/nginx:1", "nginx:1", true],
  ["library/nginx:1", "docker.io/nginx:1", true],
  ["nginx:1", "nginx:2", false],
  ["nginx:1", `nginx:1@${SHA256}`, false],
  [`nginx@${SHA256}`, `docker.io/library/nginx@${SHA256}`, true],
  ["ghcr.io/o/a:1", "docker.io/o/a:1", false],
  ["localhost:5000/x", "localhost/x", false],
  ["Nginx", "Nginx", false],
  ["", "", false],
];

for (const [a, b, same] of SAME) {
  test(`sameImageName(${JSON.stringify(a)}, ${JSON.stringify(b)}) is ${same}`, () => {
    assert.equal(sameImageName(a, b), same);
    assert.equal(sameImageName(b, a), same);
  });
}

const MANIFEST: Array<[string, string, string]> = [
  ["nginx", "latest", "latest"],
  ["nginx:1.27", "1.27", "1.27"],
  [`nginx@${SHA256}`, "latest", SHA256],
  [`nginx:1.27@${SHA256}`, "1.27", SHA256],
];

for (const [input, tag, manifest] of MANIFEST) {
  test(`tagOrDefault/manifestReference of ${input.slice(0, 30)}`, () => {
    const ref = parseReference(input);
    assert.equal(tagOrDefault(ref), tag);
    assert.equal(manifestReference(ref), manifest);
  });
}
