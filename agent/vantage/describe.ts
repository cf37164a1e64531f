// The view in words (the one "vantage" line every diagnosis carries) and as data (--json,
// /v1/state, `pullmedic runtime`). Proxy credentials never appear: proxies are shown by scheme,
// host and port, registry auth by the hosts that have one.

import type { ViewOrigin } from "./origin.js";
import { type ProxySettings, proxyLabel } from "./proxy.js";
import type { RegistrySource } from "./registry-source.js";
import type { RuntimeView } from "./view.js";

export interface VantageData {
  line: string;
  origin: ViewOrigin;
  runtime: { name: string; version: string | undefined };
  environment: {
    source: string;
    httpsProxy: string | undefined;
    httpProxy: string | undefined;
    noProxy: string | undefined;
    sslCertFile: string | undefined;
    sslCertDir: string | undefined;
  };
  resolver: {
    order: string[];
    hostsFile: string;
    resolvConf: string;
    nameservers: string[];
    search: string[];
    ndots: number;
    timeoutSeconds: number;
    attempts: number;
  };
  trust: { source: string; certificates: number };
  registry: Record<string, unknown>;
  problems: string[];
}

export function vantageLine(view: RuntimeView): string {
  const r = view.resolver;
  const servers = r.conf.nameservers.length > 0 ? r.conf.nameservers.join(", ") : "none (Go's default 127.0.0.1, ::1)";
  const parts = [
    originText(view.origin),
    `resolver ${r.resolvConf} (${servers}${r.conf.search.length ? `, search ${r.conf.search.join(" ")}` : ""}, ndots ${r.conf.ndots}) and ${r.hostsFile}, order ${r.order.join(",")}`,
    `trust ${view.trust.source}`,
    `proxy ${proxyText(view.environment.proxy)}`,
    registryText(view.registry),
  ];
  const problems = view.problems.length > 0 ? `; ${view.problems.length} problem${view.problems.length === 1 ? "" : "s"} reading it` : "";
  return `${parts.join("; ")}${problems}`;
}

function originText(o: ViewOrigin): string {
  switch (o.kind) {
    case "process":
      return `${o.name} pid ${o.pid} (serves ${o.socket}${o.boundPath !== o.socket ? `, bound as ${o.boundPath}` : ""}), read through ${o.root}`;
    case "host-root":
      return `node files under --host-root ${o.dir}, not the runtime process (${o.why})`;
    case "own-root":
      return `this process's own files and no runtime environment, not the runtime's (${o.why || "no runtime process"})`;
  }
}

function proxyText(p: ProxySettings): string {
  if (p.https === undefined && p.http === undefined) return "none";
  const parts: string[] = [];
  if (p.https !== undefined) parts.push(`https via ${proxyLabel(p.https)} (${p.httpsFrom})`);
  if (p.http !== undefined) parts.push(`http via ${proxyLabel(p.http)} (${p.httpFrom})`);
  if (p.noProxy !== "") parts.push(`${p.noProxyFrom} ${p.noProxy}`);
  return parts.join(", ");
}

function registryText(s: RegistrySource): string {
  switch (s.kind) {
    case "flag":
      return `hosts dir ${s.dir} (--hosts-dir)`;
    case "hosts-dir":
      return `hosts dir ${s.dir} (${s.from})`;
    case "legacy": {
      const mirrors = Object.keys(s.registry.mirrors);
      return `no hosts dir: ${mirrors.length ? `mirrors for ${mirrors.join(", ")} ` : ""}from ${s.from}`;
    }
    case "registries-conf":
      return `registries.conf ${s.conf.files.join(" + ") || "(none: defaults)"}, certificates in ${s.certsDirs}`;
  }
}

export function vantageData(view: RuntimeView): VantageData {
  const p = view.environment.proxy;
  const r = view.resolver;
  return {
    line: vantageLine(view),
    origin: view.origin,
    runtime: view.runtime,
    environment: {
      source: view.environment.source,
      httpsProxy: p.https && proxyLabel(p.https),
      httpProxy: p.http && proxyLabel(p.http),
      noProxy: p.noProxy || undefined,
      sslCertFile: view.environment.sslCertFile,
      sslCertDir: view.environment.sslCertDir,
    },
    resolver: {
      order: r.order,
      hostsFile: r.hostsFile,
      resolvConf: r.resolvConf,
      nameservers: r.conf.nameservers,
      search: r.conf.search,
      ndots: r.conf.ndots,
      timeoutSeconds: r.conf.timeoutSeconds,
      attempts: r.conf.attempts,
    },
    trust: { source: view.trust.source, certificates: view.trust.roots.length },
    registry: registryData(view.registry),
    problems: view.problems,
  };
}

function registryData(s: RegistrySource): Record<string, unknown> {
  switch (s.kind) {
    case "flag":
    case "hosts-dir":
      return { kind: "hosts-dir", dir: s.dir, from: s.kind === "flag" ? "--hosts-dir" : s.from };
    case "legacy":
      return { kind: "legacy", from: s.from, mirrors: s.registry.mirrors, tls: s.registry.tls, authHosts: s.registry.authHosts };
    case "registries-conf":
      return {
        kind: "registries-conf",
        files: s.conf.files,
        unqualifiedSearch: s.conf.unqualifiedSearch,
        shortNameMode: s.conf.shortNameMode,
        registries: s.conf.registries,
        certsDirs: s.certsDirs,
      };
  }
}
