// `npm run manifest`: writes the files generated from their one source: daemonset.yaml (the chart
// rendered with its defaults) and the chart's values.schema.json (test/deploy/chart-schema.ts),
// formatted by Biome as the tree is. The order matters: helm template checks the values against
// the schema written first.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderManifest, valuesSchemaPath } from "./chart.js";
import { valuesSchema } from "./chart-schema.js";
import { manifestPath, repoRoot } from "./manifest.js";

writeFileSync(valuesSchemaPath, `${JSON.stringify(valuesSchema(), null, 2)}\n`);
const biome = spawnSync(join(repoRoot, "node_modules", ".bin", "biome"), ["format", "--write", valuesSchemaPath], { encoding: "utf8" });
if (biome.status !== 0) throw new Error(`biome format ${valuesSchemaPath}: ${biome.stderr}`);
writeFileSync(manifestPath, renderManifest());
console.log(`wrote ${valuesSchemaPath} and ${manifestPath}`);
