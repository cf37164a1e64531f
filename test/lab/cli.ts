// `npm run lab`: a lab to try pullmedic against by hand. Runs until Ctrl-C.

import { parseArgs } from "node:util";
import { buildImage, buildIndex, type LabOptions, nodePlatform, startLab } from "./index.js";

const USAGE = `usage: npm run lab -- [--auth USER:PASSWORD] [--image-fs-mib N] [--keep]

  --auth USER:PASSWORD  protect the registry with htpasswd basic auth
  --image-fs-mib N      put containerd's root on an N MiB tmpfs (to try a full disk)
  --keep                keep the lab directory after stopping, for its logs`;

function parseOptions(argv: string[]): LabOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      auth: { type: "string" },
      "image-fs-mib": { type: "string" },
      keep: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const options: LabOptions = { keep: values.keep ?? false };
  if (values.auth !== undefined) {
    const colon = values.auth.indexOf(":");
    if (colon <= 0) throw new Error(`--auth wants USER:PASSWORD, got "${values.auth}"`);
    options.registryAuth = { username: values.auth.slice(0, colon), password: values.auth.slice(colon + 1) };
  }
  if (values["image-fs-mib"] !== undefined) {
    const mib = Number(values["image-fs-mib"]);
    if (!Number.isInteger(mib) || mib < 8) throw new Error(`--image-fs-mib wants a whole number of MiB, at least 8`);
    options.imageFsSizeMiB = mib;
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const lab = await startLab(options);

  const hello = await lab.push(buildImage({ files: { "hello.txt": "hello from the pullmedic lab\n" }, label: "demo/hello" }), "demo/hello:1.0");
  const multi = await lab.push(
    buildIndex([
      buildImage({ files: { "arch.txt": "amd64\n" }, platform: { os: "linux", architecture: "amd64" } }),
      buildImage({ files: { "arch.txt": "arm64\n" }, platform: { os: "linux", architecture: "arm64", variant: "v8" } }),
    ]),
    "demo/multi:1.0",
  );

  const ctr = `ctr --address ${lab.socketPath} -n k8s.io`;
  const platform = nodePlatform();
  const auth = options.registryAuth ? ` --user ${options.registryAuth.username}:${options.registryAuth.password}` : "";
  console.log(`pullmedic lab is up (${Date.now() - started} ms) in ${lab.dir}

  CRI endpoint   ${lab.criEndpoint}
  registry       ${lab.registry.url}${options.registryAuth ? ` (basic auth: ${options.registryAuth.username})` : ""}
  sandbox image  ${lab.sandboxImage}
  node platform  ${[platform.os, platform.architecture, platform.variant].filter(Boolean).join("/")}
  logs           ${lab.dir}/containerd.log, ${lab.dir}/registry/registry.log

Pushed (not pulled yet):
  ${hello.ref}  ${hello.digest}
  ${multi.ref}  ${multi.digest}  (index: linux/amd64, linux/arm64/v8)

Try:
  npx pullmedic images --cri-endpoint ${lab.criEndpoint}
  npx pullmedic status --cri-endpoint ${lab.criEndpoint}
  ${ctr} images pull --hosts-dir ${lab.hostsDir}${auth} ${hello.ref}
  ${ctr} images ls
  curl -s${options.registryAuth ? ` -u ${options.registryAuth.username}:${options.registryAuth.password}` : ""} ${lab.registry.url}/v2/_catalog

Ctrl-C stops the lab${options.keep ? " (the directory is kept)" : " and removes its directory"}.`);

  // Signal listeners do not keep Node running and the lab's daemons are unref'd, so
  // without a timer the process would exit here and its exit hook would end the lab.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  clearInterval(keepAlive);
  // A second Ctrl-C while stopping falls through to the lab's own handler, which kills at once.
  console.log("\nstopping the lab…");
  await lab.stop();
  console.log(options.keep ? `stopped; kept ${lab.dir}` : "stopped");
}

main().catch((error: unknown) => {
  console.error(`lab: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
