import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { probeTls } from "../../agent/probe/index.js";
import { waitFor } from "../support/wait.js";
import {
  buildImage,
  buildIndex,
  type FaultServer,
  HUB_SERVICE,
  type Lab,
  MEDIA_TYPES,
  type Platform,
  sha256,
  startFaultServer,
  startLab,
  TOO_MANY_REQUESTS_MESSAGE,
} from "./index.js";
import { listProcesses } from "./process.js";

const image = buildImage({ files: { "hello.txt": "hello" }, label: "fault-image" });
const other = buildImage({ files: { "other.txt": "other" }, label: "fault-other" });
const amd64 = buildImage({ files: { arch: "amd64" }, platform: { os: "linux", architecture: "amd64" } });
const arm64 = buildImage({ files: { arch: "arm64" }, platform: { os: "linux", architecture: "arm64", variant: "v8" } });
const index = buildIndex([amd64, arm64]);
const big = buildImage({ padBytes: 4096, label: "fault-big" });
const IMAGES = [
  { repo: "library/app", tag: "1.0", image },
  { repo: "library/other", tag: "latest", image: other },
  { repo: "team/multi", tag: "2", image: index },
  { repo: "library/big", tag: "1", image: big },
];

interface RegistryErrorBody {
  errors: { code: string; message: string; detail?: unknown }[];
}

async function errorBody(response: Response): Promise<RegistryErrorBody> {
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  return (await response.json()) as RegistryErrorBody;
}

function withServer(fn: (server: FaultServer) => Promise<void>, ...args: Parameters<typeof startFaultServer>): () => Promise<void> {
  return async () => {
    const server = await startFaultServer(...args);
    try {
      await fn(server);
    } finally {
      await server.stop();
    }
  };
}

function bearerChallenge(header: string | null): Record<string, string> {
  assert.match(header ?? "", /^Bearer /);
  return Object.fromEntries([...(header ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? "", m[2] ?? ""]));
}

describe("fault server: serve", () => {
  test(
    "answers the version check and serves manifests by tag and digest, indexes and their children",
    withServer(
      async (server) => {
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.equal(server.host, server.url.slice("http://".length));
        const ping = await fetch(`${server.url}/v2/`);
        assert.equal(ping.status, 200);
        assert.equal(ping.headers.get("docker-distribution-api-version"), "registry/2.0");
        await ping.body?.cancel();

        for (const ref of ["1.0", image.manifestDigest]) {
          const response = await fetch(`${server.url}/v2/library/app/manifests/${ref}`, { headers: { Accept: MEDIA_TYPES.manifest } });
          assert.equal(response.status, 200);
          assert.equal(response.headers.get("content-type"), MEDIA_TYPES.manifest);
          assert.equal(response.headers.get("docker-content-digest"), image.manifestDigest);
          assert.deepEqual(Buffer.from(await response.arrayBuffer()), image.manifest);
        }
        const head = await fetch(`${server.url}/v2/team/multi/manifests/2`, { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("content-type"), MEDIA_TYPES.index);
        assert.equal(head.headers.get("docker-content-digest"), index.digest);
        assert.equal(head.headers.get("content-length"), String(index.index.length));
        const child = await fetch(`${server.url}/v2/team/multi/manifests/${arm64.manifestDigest}`);
        assert.equal(sha256(Buffer.from(await child.arrayBuffer())), arm64.manifestDigest);

        const tags = await fetch(`${server.url}/v2/team/multi/tags/list`);
        assert.deepEqual(await tags.json(), { name: "team/multi", tags: ["2"] });
        assert.deepEqual(server.requests.slice(0, 2), [
          { method: "GET", path: "/v2/" },
          { method: "GET", path: "/v2/library/app/manifests/1.0" },
        ]);
      },
      { kind: "serve" },
      IMAGES,
    ),
  );

  test(
    "serves config and layer blobs under their digests",
    withServer(
      async (server) => {
        for (const [digest, data] of [
          [image.configDigest, image.config],
          [image.layers[0]?.digest ?? "", image.layers[0]?.data ?? Buffer.alloc(0)],
        ] as const) {
          const response = await fetch(`${server.url}/v2/library/app/blobs/${digest}`);
          assert.equal(response.status, 200);
          assert.equal(response.headers.get("docker-content-digest"), digest);
          assert.deepEqual(Buffer.from(await response.arrayBuffer()), data);
        }
      },
      { kind: "serve" },
      IMAGES,
    ),
  );

  test(
    "answers unknown names, tags and blobs with the registry's error codes, and refuses writes",
    withServer(
      async (server) => {
        const cases: [string, number, string][] = [
          ["/v2/library/nope/manifests/1", 404, "NAME_UNKNOWN"],
          ["/v2/library/app/manifests/9.9", 404, "MANIFEST_UNKNOWN"],
          [`/v2/library/app/blobs/sha256:${"0".repeat(64)}`, 404, "BLOB_UNKNOWN"],
        ];
        for (const [path, status, code] of cases) {
          const response = await fetch(`${server.url}${path}`);
          assert.equal(response.status, status, path);
          assert.equal((await errorBody(response)).errors[0]?.code, code, path);
        }
        const head = await fetch(`${server.url}/v2/library/app/manifests/9.9`, { method: "HEAD" });
        assert.equal(head.status, 404);
        assert.equal(await head.text(), "", "a HEAD 404 has no body");
        const put = await fetch(`${server.url}/v2/library/app/manifests/2.0`, { method: "PUT", body: "{}" });
        assert.equal(put.status, 405);
        assert.equal((await errorBody(put)).errors[0]?.code, "UNSUPPORTED");
      },
      { kind: "serve" },
      IMAGES,
    ),
  );

  test("rejects images under names the registry grammar forbids", async () => {
    await assert.rejects(startFaultServer({ kind: "serve" }, [{ repo: "Library/App", tag: "1", image }]), /"Library\/App" is not a valid repository name/);
    await assert.rejects(startFaultServer({ kind: "trickle", bytesPerSecond: 0 }), /bytesPerSecond must be positive/);
  });
});

describe("fault server: rate-limited (Docker Hub)", () => {
  const mode = { kind: "rate-limited", limit: 100, remaining: 2, windowSeconds: 21600, source: "192.0.2.7" } as const;

  async function token(server: FaultServer, repo: string): Promise<string> {
    const challenge = bearerChallenge((await fetch(`${server.url}/v2/${repo}/manifests/x`)).headers.get("www-authenticate"));
    const url = new URL(challenge["realm"] ?? "");
    url.searchParams.set("service", challenge["service"] ?? "");
    url.searchParams.set("scope", challenge["scope"] ?? "");
    const body = (await (await fetch(url)).json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
    assert.equal(body.access_token, body.token);
    assert.equal(body.expires_in, 300);
    assert.ok(Math.abs(Date.parse(body.issued_at) - Date.now()) < 60_000);
    return body.token;
  }

  test(
    "challenges like Hub: Bearer realm on this server, service registry.docker.io, a scope per repository",
    withServer(
      async (server) => {
        const ping = await fetch(`${server.url}/v2/`);
        assert.equal(ping.status, 401);
        assert.deepEqual(bearerChallenge(ping.headers.get("www-authenticate")), { realm: `${server.url}/token`, service: HUB_SERVICE });
        assert.equal((await errorBody(ping)).errors[0]?.code, "UNAUTHORIZED");

        const manifest = await fetch(`${server.url}/v2/library/app/manifests/1.0`);
        assert.equal(manifest.status, 401);
        assert.equal(bearerChallenge(manifest.headers.get("www-authenticate"))["scope"], "repository:library/app:pull");
        await manifest.body?.cancel();

        const authorized = await fetch(`${server.url}/v2/`, { headers: { Authorization: `Bearer ${await token(server, "library/app")}` } });
        assert.equal(authorized.status, 200);
        await authorized.body?.cancel();
        const forged = await fetch(`${server.url}/v2/`, { headers: { Authorization: "Bearer made-up" } });
        assert.equal(forged.status, 401);
        await forged.body?.cancel();
      },
      mode,
      IMAGES,
    ),
  );

  test(
    "counts manifest GETs, not HEADs, in the quota headers, then answers 429 TOOMANYREQUESTS",
    withServer(
      async (server) => {
        const auth = { Authorization: `Bearer ${await token(server, "library/app")}` };
        const url = `${server.url}/v2/library/app/manifests/1.0`;
        const quota = (r: Response): (string | null)[] => ["ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source"].map((h) => r.headers.get(h));

        const head = await fetch(url, { method: "HEAD", headers: auth });
        assert.equal(head.status, 200);
        assert.deepEqual(quota(head), ["100;w=21600", "2;w=21600", "192.0.2.7"]);
        assert.equal(quota(await fetch(url, { method: "HEAD", headers: auth }))[1], "2;w=21600", "HEAD uses no pull");

        for (const left of ["1;w=21600", "0;w=21600"]) {
          const get = await fetch(url, { headers: auth });
          assert.equal(get.status, 200);
          assert.equal(quota(get)[1], left);
          assert.deepEqual(Buffer.from(await get.arrayBuffer()), image.manifest);
        }

        const limited = await fetch(url, { headers: auth });
        assert.equal(limited.status, 429);
        assert.deepEqual(quota(limited), ["100;w=21600", "0;w=21600", "192.0.2.7"]);
        assert.deepEqual(await errorBody(limited), { errors: [{ code: "TOOMANYREQUESTS", message: TOO_MANY_REQUESTS_MESSAGE, detail: null }] });
        const limitedHead = await fetch(url, { method: "HEAD", headers: auth });
        assert.equal(limitedHead.status, 429);
        assert.equal(await limitedHead.text(), "", "a HEAD 429 has no body");

        // Blobs are not what Hub counts.
        const blob = await fetch(`${server.url}/v2/library/app/blobs/${image.configDigest}`, { headers: auth });
        assert.equal(blob.status, 200);
        assert.deepEqual(Buffer.from(await blob.arrayBuffer()), image.config);
      },
      mode,
      IMAGES,
    ),
  );
});

describe("fault server: unavailable", () => {
  test(
    "answers every /v2/ request 503 with a load balancer's HTML page by default",
    withServer(
      async (server) => {
        for (const path of ["/v2/", "/v2/library/app/manifests/1.0"]) {
          const response = await fetch(`${server.url}${path}`);
          assert.equal(response.status, 503);
          assert.equal(response.headers.get("content-type"), "text/html");
          assert.match(await response.text(), /<title>503 Service Unavailable<\/title>/);
        }
      },
      { kind: "unavailable" },
      IMAGES,
    ),
  );

  test(
    "502 is a gateway's HTML page",
    withServer(
      async (server) => {
        const response = await fetch(`${server.url}/v2/library/app/blobs/${image.configDigest}`);
        assert.equal(response.status, 502);
        assert.match(await response.text(), /502 Bad Gateway/);
      },
      { kind: "unavailable", status: 502 },
      IMAGES,
    ),
  );

  test(
    "500 is the registry's own JSON error",
    withServer(
      async (server) => {
        const response = await fetch(`${server.url}/v2/`);
        assert.equal(response.status, 500);
        assert.equal((await errorBody(response)).errors[0]?.code, "UNKNOWN");
      },
      { kind: "unavailable", status: 500 },
    ),
  );
});

describe("fault server: stall", () => {
  test(
    "reads the request and never answers; stop() ends the held connection",
    withServer(
      async (server) => {
        const attempt = fetch(`${server.url}/v2/`, { signal: AbortSignal.timeout(300) });
        await assert.rejects(attempt, (error: Error) => error.name === "TimeoutError");
        assert.deepEqual(server.requests, [{ method: "GET", path: "/v2/" }]);

        // A client without a deadline learns only when the server goes away.
        const waiting = fetch(`${server.url}/v2/library/app/manifests/1.0`).then(
          () => "answered",
          () => "failed",
        );
        await waitFor("the second request", () => server.requests.length >= 2, { timeoutMs: 5000 });
        await server.stop();
        assert.equal(await waiting, "failed");
      },
      { kind: "stall" },
      IMAGES,
    ),
  );
});

describe("fault server: trickle", () => {
  test(
    "sends blob bodies a little at a time, and manifests whole",
    withServer(
      async (server) => {
        const layer = big.layers[1];
        assert.ok(layer && layer.data.length > 4096);
        const response = await fetch(`${server.url}/v2/library/big/blobs/${layer.digest}`);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-length"), String(layer.data.length));
        const reader = response.body?.getReader();
        assert.ok(reader);
        const first = await reader.read();
        // 1000 bytes per second goes out in tenths of a second: 100 bytes at a time.
        assert.ok(first.value && first.value.length <= 100, `first chunk ${first.value?.length}`);
        assert.deepEqual(Buffer.from(first.value), layer.data.subarray(0, first.value.length));
        await reader.cancel();

        const manifest = await fetch(`${server.url}/v2/library/big/manifests/1`);
        assert.deepEqual(Buffer.from(await manifest.arrayBuffer()), big.manifest);
      },
      { kind: "trickle", bytesPerSecond: 1000 },
      IMAGES,
    ),
  );

  test(
    "delivers the whole blob intact",
    withServer(
      async (server) => {
        const layer = big.layers[1];
        assert.ok(layer);
        const response = await fetch(`${server.url}/v2/library/big/blobs/${layer.digest}`);
        assert.equal(sha256(Buffer.from(await response.arrayBuffer())), layer.digest);
      },
      { kind: "trickle", bytesPerSecond: 200_000 },
      IMAGES,
    ),
  );
});

function httpsGet(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("lab with an HTTPS registry (valid certificate)", () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ registryTls: "valid" });
  });
  after(() => lab?.stop());

  test("serves HTTPS with a certificate from the lab CA, and containerd pulls through hosts.toml's ca", async () => {
    assert.equal(lab.registry.url, `https://${lab.registry.host}`);
    assert.ok(lab.caCertFile);
    const ca = readFileSync(lab.caCertFile);
    assert.equal(await httpsGet(`${lab.registry.url}/v2/`, ca), 200);
    const port = Number(lab.registry.host.split(":")[1]);
    const tls = await probeTls("127.0.0.1", port, { timeoutMs: 5000, ca: [ca] });
    assert.equal(tls.problem, undefined);

    const hostsToml = readFileSync(join(lab.hostsDir, lab.registry.host, "hosts.toml"), "utf8");
    assert.match(hostsToml, new RegExp(`ca = "${lab.caCertFile}"`));
    assert.doesNotMatch(hostsToml, /skip_verify/);
    const { ref } = await lab.push(image, "tls/app:1");
    assert.equal(ref, `${lab.registry.host}/tls/app:1`);
    await lab.ctr("images", "pull", "--hosts-dir", lab.hostsDir, ref);
    assert.ok((await lab.ctr("images", "ls", "-q")).split("\n").includes(ref));
  });

  test("containerd pulls from the Hub stand-in while quota lasts, then reports Hub's 429 both ways", async () => {
    // Images containerd has not seen: content it already has is not fetched, so would not count.
    const fresh = (label: string, platform?: Platform) => buildImage({ files: { "id.txt": label }, label, ...(platform ? { platform } : {}) });
    const children = [fresh("hub-amd64", { os: "linux", architecture: "amd64" }), fresh("hub-arm64", { os: "linux", architecture: "arm64", variant: "v8" })];
    const hub = await startFaultServer({ kind: "rate-limited", limit: 100, remaining: 2, windowSeconds: 21600, source: "192.0.2.7" }, [
      { repo: "library/first", tag: "1", image: fresh("hub-first") },
      { repo: "library/multi", tag: "1", image: buildIndex(children) },
      { repo: "library/last", tag: "1", image: fresh("hub-last") },
    ]);
    try {
      // One pull: a HEAD to resolve the tag (free), a GET by digest (counted).
      await lab.ctr("images", "pull", "--plain-http", `${hub.host}/library/first:1`);
      assert.ok(
        hub.requests.some((r) => r.path.startsWith("/token?") && r.path.includes("service=registry.docker.io")),
        "containerd fetched a token from the realm",
      );

      // The index GET uses the last pull; the platform manifest's GET is refused with the JSON body.
      await assert.rejects(lab.ctr("images", "pull", "--plain-http", `${hub.host}/library/multi:1`), (error: Error) => {
        assert.match(error.message, /429 Too Many Requests/);
        assert.match(error.message, /toomanyrequests: You have reached your unauthenticated pull rate limit/);
        return true;
      });
      // At zero even resolving fails, and a HEAD brings no body to quote.
      await assert.rejects(lab.ctr("images", "pull", "--plain-http", `${hub.host}/library/last:1`), (error: Error) => {
        assert.match(error.message, /failed with status code \[manifests 1\]: 429 Too Many Requests/);
        assert.doesNotMatch(error.message, /toomanyrequests/);
        return true;
      });
    } finally {
      await hub.stop();
    }
  });

  test("containerd reports a registry behind a failing load balancer", async () => {
    const down = await startFaultServer({ kind: "unavailable", status: 503 }, IMAGES);
    try {
      await assert.rejects(lab.ctr("images", "pull", "--plain-http", `${down.host}/library/app:1.0`), /503 Service Unavailable/);
    } finally {
      await down.stop();
    }
  });
});

const FAULTY = [
  { mode: "expired", containerd: /x509: certificate has expired or is not yet valid/, problem: "expired" },
  // Go words a name-only certificate met by an IP address this way, not "valid for X, not Y".
  { mode: "wrong-host", containerd: /x509: cannot validate certificate for 127\.0\.0\.1 because it doesn't contain any IP SANs/, problem: "wrong-host" },
  { mode: "unknown-ca", containerd: /x509: certificate signed by unknown authority/, problem: "unknown-authority" },
] as const;

for (const fault of FAULTY) {
  describe(`lab with an HTTPS registry (${fault.mode} certificate)`, () => {
    let lab: Lab;
    before(async () => {
      lab = await startLab({ registryTls: fault.mode });
    });
    after(() => lab?.stop());

    test("has the sandbox image, yet containerd's pulls see the certificate's fault", async () => {
      assert.ok((await lab.ctr("images", "ls", "-q")).split("\n").includes(lab.sandboxImage), "pause image preloaded");
      assert.doesNotMatch(readFileSync(join(lab.hostsDir, lab.registry.host, "hosts.toml"), "utf8"), /skip_verify/);
      const { ref } = await lab.push(image, "tls/app:1");
      await assert.rejects(lab.ctr("images", "pull", "--hosts-dir", lab.hostsDir, ref), fault.containerd);

      const port = Number(lab.registry.host.split(":")[1]);
      const tls = await probeTls("127.0.0.1", port, { timeoutMs: 5000, ca: [readFileSync(lab.caCertFile ?? "")] });
      assert.equal(tls.problem, fault.problem);
    });

    test("stop() ends both registry processes and containerd, and removes the dir", async () => {
      const running = (): string[] =>
        listProcesses()
          .filter((p) => p.pid !== process.pid && p.cmdline.includes(`${lab.dir}/`))
          .map((p) => p.cmdline);
      assert.equal(running().filter((c) => c.includes("docker-registry serve")).length, 2, "the HTTPS registry and the plain one pushes go to");
      await lab.stop();
      assert.deepEqual(running(), []);
      assert.equal(existsSync(lab.dir), false);
    });
  });
}
