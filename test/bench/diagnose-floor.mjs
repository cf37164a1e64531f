// The least a one-shot `diagnose` of a healthy image must do, written with Node's built-ins only
// and nothing else: no library, no rules, no report. The start-up bench times it beside the real
// command as the floor under any diagnosis of that image on this machine. It finds the runtime
// behind the CRI socket (/proc/net/unix, then the fd links of the runtime's process), reads its
// trust store through /proc/<pid>/root (the bundle's certificates parsed, to be counted, and the
// directory's files read), its resolver files, environment and command line; makes one CRI call
// over HTTP/2 (ImageFsInfo, an empty request); and asks the registry over HTTP/1.1 for /v2/, the
// manifest, the config blob and the first 64 KiB of the first layer.
//
// usage: node diagnose-floor.mjs <CRI socket path> <registry URL> <repository> <tag>

const fs = process.getBuiltinModule("node:fs/promises");
const { X509Certificate } = process.getBuiltinModule("node:crypto");
const http = process.getBuiltinModule("node:http");
const http2 = process.getBuiltinModule("node:http2");
const net = process.getBuiltinModule("node:net");
// A diagnosis of an https registry or by name loads these too.
process.getBuiltinModule("node:tls");
process.getBuiltinModule("node:dns");

const [socket, registry, repository, tag] = process.argv.slice(2);

async function runtimePid() {
  const unix = await fs.readFile("/proc/net/unix", "utf8");
  const inodes = new Set(
    unix
      .split("\n")
      .filter((l) => l.endsWith(` ${socket}`))
      .map((l) => l.trim().split(/\s+/)[6]),
  );
  for (const pid of (await fs.readdir("/proc")).filter((n) => /^\d+$/.test(n))) {
    const name = await fs.readFile(`/proc/${pid}/comm`, "utf8").catch(() => "");
    if (!/containerd|crio/.test(name)) continue;
    for (const fd of await fs.readdir(`/proc/${pid}/fd`).catch(() => [])) {
      const link = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      if (inodes.has(/^socket:\[(\d+)\]$/.exec(link)?.[1])) return pid;
    }
  }
  throw new Error(`no runtime process holds ${socket}`);
}

async function readRuntimeFiles(pid) {
  const root = `/proc/${pid}/root`;
  const bundle = await fs.readFile(`${root}/etc/ssl/certs/ca-certificates.crt`, "utf8").catch(() => "");
  let certificates = 0;
  for (const block of bundle.split("-----END CERTIFICATE-----")) {
    const at = block.indexOf("-----BEGIN CERTIFICATE-----");
    if (at < 0) continue;
    try {
      new X509Certificate(`${block.slice(at)}-----END CERTIFICATE-----`);
      certificates++;
    } catch {
      // Not a certificate: skipped, as Go skips it.
    }
  }
  const dir = await fs.readdir(`${root}/etc/ssl/certs`, { withFileTypes: true }).catch(() => []);
  await Promise.all(dir.filter((d) => d.isFile()).map((d) => fs.readFile(`${root}/etc/ssl/certs/${d.name}`, "utf8")));
  for (const file of [`${root}/etc/resolv.conf`, `${root}/etc/hosts`, `${root}/etc/nsswitch.conf`, `/proc/${pid}/environ`, `/proc/${pid}/cmdline`]) {
    await fs.readFile(file).catch(() => "");
  }
  return certificates;
}

async function imageFsInfo() {
  const session = http2.connect("http://localhost", { createConnection: () => net.connect(socket) });
  try {
    await new Promise((resolve, reject) => {
      const call = session.request({ ":method": "POST", ":path": "/runtime.v1.ImageService/ImageFsInfo", "content-type": "application/grpc", te: "trailers" });
      call.on("data", () => undefined);
      call.on("end", resolve);
      call.on("error", reject);
      call.end(Buffer.alloc(5));
    });
  } finally {
    session.close();
  }
}

async function askRegistry() {
  const agent = new http.Agent({ keepAlive: true });
  const get = (path, headers = {}) =>
    new Promise((resolve, reject) => {
      http
        .get(`${registry}${path}`, { agent, headers }, (res) => {
          const parts = [];
          res.on("data", (c) => parts.push(c));
          res.on("end", () => resolve(Buffer.concat(parts)));
        })
        .on("error", reject);
    });
  try {
    await get("/v2/");
    const accept = "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json";
    const manifest = JSON.parse((await get(`/v2/${repository}/manifests/${tag}`, { accept })).toString("utf8"));
    await get(`/v2/${repository}/blobs/${manifest.config.digest}`);
    await get(`/v2/${repository}/blobs/${manifest.layers[0].digest}`, { range: "bytes=0-65535" });
  } finally {
    agent.destroy();
  }
}

const pid = await runtimePid();
const [certificates] = await Promise.all([readRuntimeFiles(pid), imageFsInfo(), askRegistry()]);
console.log(JSON.stringify({ runtime: Number(pid), certificates }));
