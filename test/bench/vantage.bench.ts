// npm run bench vantage: what reading the runtime's view costs a diagnosis. The runtime is the
// vantage lab's containerd in a mount namespace of its own, so every file is read through
// /proc/<pid>/root with the in-root path walk (its /etc is links to files elsewhere). A cold read
// finds the process behind the socket and reads everything; a diagnosis then gets the cached view
// after checking that the process and every file it read are unchanged. Goal: under 5 ms per
// diagnosis. Prints figures; asserts nothing.
import { performance } from "node:perf_hooks";
import { readRuntimeView, ViewCache, type ViewRequest } from "../../agent/vantage/index.js";
import { startVantageLab } from "../lab/vantage.js";

const RUNS = Number(process.env["BENCH_RUNS"] ?? 200);

function quantile(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

export async function benchVantage(): Promise<void> {
  const lab = await startVantageLab();
  try {
    const req: ViewRequest = { socketPath: lab.runtime.socket, runtimeName: "containerd", runtimeVersion: "1.6.20" };
    const cold: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await readRuntimeView(req);
      cold.push(performance.now() - started);
    }
    const cache = new ViewCache();
    const first = await cache.get(req);
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const view = await cache.get(req);
      warm.push(performance.now() - started);
      if (view !== first) throw new Error("the cached view was read again although nothing changed");
    }
    const watched = first.watched.length;
    console.log(
      `runtime's view (containerd pid ${lab.runtime.pid} in its own mount namespace, ${first.trust.roots.length} trusted certificates, ${watched} files and links watched)`,
    );
    console.log(`${"".padEnd(44)} ${"median".padStart(8)} ${"p90".padStart(8)} ${"max".padStart(8)}   ms`);
    const row = (name: string, s: number[]) =>
      console.log(
        `${name.padEnd(44)} ${quantile(s, 0.5).toFixed(2).padStart(8)} ${quantile(s, 0.9).toFixed(2).padStart(8)} ${Math.max(...s)
          .toFixed(2)
          .padStart(8)}`,
      );
    row("cold read (find the process, read it all)", cold);
    row(`per diagnosis, cached (${RUNS} runs)`, warm);
    const median = quantile(warm, 0.5);
    console.log(`per-diagnosis cost ${median.toFixed(2)} ms median: ${median < 5 ? "within" : "OVER"} the 5 ms goal`);
  } finally {
    await lab.stop();
  }
}
