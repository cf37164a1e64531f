import { RuntimeClient } from "../agent/runtime/index.js";
import { type VantageData, vantageData } from "../agent/vantage/index.js";
import { EXIT_OK, EXIT_PROBLEM } from "./errors.js";
import type { VerbResult } from "./result.js";
import { parseTimeoutSeconds } from "./runtime-options.js";
import { type VantageFlags, viewFor } from "./vantage.js";

export interface RuntimeViewFlags extends VantageFlags {
  criEndpoint?: string;
  timeout?: string;
  json?: boolean;
}

/**
 * The runtime's view, whole: where it was read, its environment (proxies shown without their
 * credentials), resolver, trust store and registry configuration, and every problem met. Exit 1
 * when it could not be read from the runtime process or a file was wrong.
 */
export async function runtimeVerb(flags: RuntimeViewFlags, env: NodeJS.ProcessEnv): Promise<VerbResult> {
  const timeoutMs = parseTimeoutSeconds(flags.timeout);
  let client: RuntimeClient | undefined;
  let unreachable: string | undefined;
  try {
    client = await RuntimeClient.connect({ endpoint: flags.criEndpoint, envEndpoint: env["CRI_ENDPOINT"], ...(timeoutMs ? { timeoutMs } : {}) });
  } catch (err) {
    if (flags.criEndpoint !== undefined) throw err;
    unreachable = (err as Error).message;
  }
  try {
    const data = vantageData(await viewFor(client, flags));
    if (unreachable !== undefined) data.problems.unshift(`no container runtime reachable: ${unreachable}`);
    const healthy = data.origin.kind === "process" && data.problems.length === 0;
    return { exitCode: healthy ? EXIT_OK : EXIT_PROBLEM, json: { ...data }, text: runtimeText(data) };
  } finally {
    client?.close();
  }
}

function runtimeText(d: VantageData): string {
  const lines: string[] = [];
  const row = (label: string, value: string): void => void lines.push(`${label.padEnd(16)}${value}`);
  const o = d.origin;
  row("runtime", `${d.runtime.name}${d.runtime.version ? ` ${d.runtime.version}` : ""}`);
  if (o.kind === "process")
    row(
      "process",
      `pid ${o.pid} (${o.name}), serving ${o.socket}${o.boundPath !== o.socket ? ` (bound as ${o.boundPath})` : ""}; files read through ${o.root}`,
    );
  else row("read from", o.kind === "host-root" ? `--host-root ${o.dir}: ${o.why}` : `this process's own files: ${o.why}`);
  row("environment", d.environment.source);
  for (const [name, value] of [
    ["HTTPS_PROXY", d.environment.httpsProxy],
    ["HTTP_PROXY", d.environment.httpProxy],
    ["NO_PROXY", d.environment.noProxy],
    ["SSL_CERT_FILE", d.environment.sslCertFile],
    ["SSL_CERT_DIR", d.environment.sslCertDir],
  ] as const) {
    row(`  ${name}`, value ?? "-");
  }
  const r = d.resolver;
  row("resolver", `${r.resolvConf}: nameservers ${r.nameservers.join(", ") || "none (Go's default 127.0.0.1, ::1)"}`);
  row("", `search ${r.search.join(" ") || "-"}, ndots ${r.ndots}, timeout ${r.timeoutSeconds} s, ${r.attempts} attempts`);
  row("", `${r.hostsFile}; lookup order ${r.order.join(", ")}`);
  row("trust", d.trust.source);
  row("registry", registryLine(d.registry));
  if (d.problems.length > 0) lines.push("", "problems:", ...d.problems.map((p) => `  - ${p}`));
  return `${lines.join("\n")}\n`;
}

function registryLine(r: Record<string, unknown>): string {
  switch (r["kind"]) {
    case "hosts-dir":
      return `hosts dir ${String(r["dir"])} (${String(r["from"])})`;
    case "legacy": {
      const mirrors = Object.entries((r["mirrors"] ?? {}) as Record<string, string[]>).map(([h, e]) => `${h} → ${e.join(", ")}`);
      return `no hosts dir: ${String(r["from"])}${mirrors.length ? `; mirrors ${mirrors.join("; ")}` : ""}`;
    }
    default:
      return `registries.conf ${((r["files"] as string[] | undefined) ?? []).join(" + ") || "(none)"}; certificates in ${String(r["certsDirs"])}`;
  }
}
