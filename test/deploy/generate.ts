// `npm run manifest`: writes the files generated from their one source: daemonset.yaml (the chart
// rendered with its defaults) and the chart's values.schema.json (test/deploy/chart-schema.ts).
// The order matters: helm template checks the values against the schema written first.
import { writeFileSync } from "node:fs";
import { renderManifest, valuesSchemaPath } from "./chart.js";
import { valuesSchema } from "./chart-schema.js";
import { manifestPath } from "./manifest.js";

writeFileSync(valuesSchemaPath, `${JSON.stringify(valuesSchema(), null, 2)}\n`);
writeFileSync(manifestPath, renderManifest());
console.log(`wrote ${valuesSchemaPath} and ${manifestPath}`);
