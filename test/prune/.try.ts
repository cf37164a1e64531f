import { buildImage, startLab } from "../lab/index.js";
import { RuntimeClient } from "../../agent/runtime/index.js";
import { runPullmedic } from "../support/cli.js";
const lab = await startLab({ imageFsSizeMiB: 32 });
try {
  const client = await RuntimeClient.connect({ endpoint: lab.criEndpoint });
  for (const n of ["a", "b"]) await client.pullImage((await lab.push(buildImage({ label: n, padBytes: 100_000 }), `try/${n}:1`)).ref);
  client.close();
  const args = ["--cri-endpoint", lab.criEndpoint, "--state-file", "/tmp/pmtry/state.json", "--min-age", "0"];
  for (const extra of [["--dry-run"], ["--high", "1.5", "--low", "1"], []]) {
    const r = await runPullmedic(["prune", ...extra, ...args]);
    console.log(`$ pullmedic prune ${extra.join(" ")} (exit ${r.code})\n${r.stdout}${r.stderr}`);
  }
  const r = await runPullmedic(["prune", "--force", ...args, "--state-file", "/proc/nope/state.json"]);
  console.log(`$ (unwritable state) (exit ${r.code})\n${r.stdout}${r.stderr}`);
} finally {
  await lab.stop();
}
