// npm run bench [diagnose|startup|prepull|agent|podwatch|aggregator|pulls|vantage|report-delta]: runs the benchmarks one after the other. Prints figures only.
import { benchAgent } from "./agent.bench.js";
import { benchAggregator } from "./aggregator.bench.js";
import { benchDiagnose } from "./diagnose.bench.js";
import { benchPodWatch } from "./podwatch.bench.js";
import { benchPrepull } from "./prepull.bench.js";
import { benchPulls } from "./pulls.bench.js";
import { benchReportDelta } from "./report-delta.bench.js";
import { benchStartup } from "./startup.bench.js";
import { benchVantage } from "./vantage.bench.js";

const which = process.argv.slice(2);
const benches: [string, () => Promise<void>][] = [
  ["diagnose", benchDiagnose],
  ["startup", benchStartup],
  ["prepull", benchPrepull],
  ["agent", benchAgent],
  ["podwatch", benchPodWatch],
  ["aggregator", benchAggregator],
  ["pulls", benchPulls],
  ["vantage", benchVantage],
  ["report-delta", benchReportDelta],
];
try {
  for (const [name, run] of benches) {
    if (which.length && !which.includes(name)) continue;
    await run();
    console.log("");
  }
} catch (err) {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
