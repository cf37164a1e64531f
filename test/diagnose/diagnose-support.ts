import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPullmedicJson } from "../support/cli.js";

/** The JSON contract of `pullmedic diagnose --json` (docs/contracts.md). */
export interface DiagnosisJson {
  image: string;
  cause: string;
  summary: string;
  evidence: { check: string; ok: boolean; ms: number; detail: string; host?: string; skipped?: boolean; data?: Record<string, unknown> }[];
  fix: string[];
  registry: string;
}

export async function diagnose(image: string, ...flags: string[]): Promise<{ code: number | null; d: DiagnosisJson; stderr: string }> {
  const { code, out, stderr } = await runPullmedicJson<DiagnosisJson>(["diagnose", image, ...flags]);
  return { code, d: out, stderr };
}

/** Asserts the cause and the exit code that goes with it, showing the whole diagnosis on failure. */
export function expectCause(r: { code: number | null; d: DiagnosisJson }, cause: string): void {
  const shown = JSON.stringify(r.d, null, 2);
  assert.equal(r.d.cause, cause, shown);
  assert.equal(r.code, cause === "ok" ? 0 : 1, shown);
  for (const e of r.d.evidence) {
    assert.equal(typeof e.ms, "number");
    assert.ok(e.detail.length > 0, `${e.check} has a detail`);
  }
  if (cause !== "ok") assert.ok(r.d.fix.length > 0, `a fix for ${cause}: ${shown}`);
}

export function step(d: DiagnosisJson, check: string): DiagnosisJson["evidence"][number] {
  const found = [...d.evidence].reverse().find((e) => e.check === check);
  assert.ok(found, `no ${check} step in ${JSON.stringify(d.evidence, null, 2)}`);
  return found;
}

/** A certs.d directory with one hosts.toml, as a person would write it on the node. */
export function hostsDirWith(entries: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "pm-hosts-"));
  for (const [host, toml] of Object.entries(entries)) {
    mkdirSync(join(dir, host), { recursive: true });
    writeFileSync(join(dir, host, "hosts.toml"), toml);
  }
  return dir;
}

export function plainHttpHosts(...hosts: string[]): string {
  return hostsDirWith(Object.fromEntries(hosts.map((h) => [h, `server = "http://${h}"\n[host."http://${h}"]\n  capabilities = ["pull", "resolve"]\n`])));
}
