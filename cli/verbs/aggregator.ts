import type { AggregatorFlags } from "../aggregator.js";
import { CONFIG_FILE, LOG_FORMAT, tokenFile } from "../options.js";
import type { Verb } from "../verb.js";

export const aggregator: Verb<[], AggregatorFlags> = {
  name: "aggregator",
  summary: "run the aggregator: agents stream their node reports to it over gRPC, it keeps the cluster view, API and dashboard",
  description:
    "Run the aggregator until SIGTERM or SIGINT. Agents on every node connect to it over gRPC (port 9477) " +
    "with a bearer token and stream their node reports and findings; each message is written to " +
    "SQLite before it is acknowledged, so a restart loses nothing. It serves the cluster view on HTTP " +
    "(port 9478): the dashboard at /, the JSON API under /api/v1/ (nodes, failures, registries, " +
    "quota, disks, coverage, findings, commands), POST /api/v1/prepull, /metrics, /healthz, /readyz.\n\n" +
    "Configuration: a YAML file (--config or $PULLMEDIC_AGGREGATOR_CONFIG), then environment " +
    "(PULLMEDIC_AGGREGATOR_GRPC_LISTEN, PULLMEDIC_AGGREGATOR_HTTP_LISTEN, PULLMEDIC_AGGREGATOR_DATABASE, " +
    "PULLMEDIC_AGGREGATOR_TOKEN_FILE, PULLMEDIC_AGGREGATOR_RETENTION, PULLMEDIC_LOG_LEVEL, " +
    "PULLMEDIC_LOG_FORMAT), then these flags. The token file (one token per line, re-read when it " +
    "changes) is required. An unknown or invalid key stops it with exit 2. It listens on 127.0.0.1 " +
    "unless told otherwise (in a cluster: --grpc-listen 0.0.0.0:9477 --http-listen 0.0.0.0:9478).",
  options: [
    CONFIG_FILE,
    { flags: "--grpc-listen <host:port>", description: "address agents connect to (default: 127.0.0.1:9477)" },
    { flags: "--http-listen <host:port>", description: "address of the dashboard, API and metrics (default: 127.0.0.1:9478)" },
    { flags: "--database <file>", description: "SQLite database file (default: /var/lib/pullmedic/aggregator.db)" },
    tokenFile("bearer tokens agents and `pullmedic cluster` must present, one per line"),
    LOG_FORMAT,
  ],
  run: async ({ flags, logLevel, env }) => ({ exitCode: await (await import("../aggregator.js")).aggregatorVerb(flags, logLevel, env) }),
};
