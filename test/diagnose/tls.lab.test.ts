import assert from "node:assert/strict";
import { after, test } from "node:test";
import { buildImage, type Lab, startLab } from "../lab/index.js";
import { diagnose, expectCause, step } from "./diagnose-support.js";

// Real TLS: the lab's registry serves HTTPS with certificates from a test CA; containerd's
// hosts.toml trusts that CA, so the diagnosis sees exactly what containerd would.

const labs: Lab[] = [];
after(async () => {
  await Promise.all(labs.map((l) => l.stop()));
});

async function tlsLab(kind: "valid" | "expired" | "wrong-host" | "unknown-ca"): Promise<{ lab: Lab; image: string }> {
  const lab = await startLab({ registryTls: kind });
  labs.push(lab);
  const { ref } = await lab.push(buildImage({ label: `tls-${kind}` }), "secure/app:1.0");
  return { lab, image: ref };
}

test("a valid certificate from the CA in hosts.toml: ok, with expiry date and days left", async () => {
  const { lab, image } = await tlsLab("valid");
  const r = await diagnose(image, "--hosts-dir", lab.hostsDir);
  expectCause(r, "ok");
  assert.match(step(r.d, "tls").detail, /valid until \d{4}-\d\d-\d\d \(\d+ days left\)/);
});

test("a certificate from an unknown CA: tls, unknown authority, with a hosts.toml fix", async () => {
  const { lab, image } = await tlsLab("unknown-ca");
  const r = await diagnose(image, "--hosts-dir", lab.hostsDir);
  expectCause(r, "tls");
  assert.match(r.d.summary, /authority this node does not trust/);
  assert.ok(
    r.d.fix.some((f) => f.includes("hosts.toml") && f.includes("ca = ")),
    r.d.fix.join("\n"),
  );
});

test("an expired certificate: tls, saying when it expired", async () => {
  const { lab, image } = await tlsLab("expired");
  const r = await diagnose(image, "--hosts-dir", lab.hostsDir);
  expectCause(r, "tls");
  assert.match(r.d.summary, /expired on \d{4}-\d\d-\d\d/);
  const cert = step(r.d, "tls").data?.["certificate"] as { daysLeft: number };
  assert.ok(cert.daysLeft < 0);
});

test("a certificate for another host: tls, naming the names it is valid for", async () => {
  const { lab, image } = await tlsLab("wrong-host");
  const r = await diagnose(image, "--hosts-dir", lab.hostsDir);
  expectCause(r, "tls");
  assert.match(r.d.summary, /is for .*other\.example/);
});

test("plain HTTP spoken to an HTTPS registry: tls, with the hosts.toml that sets https", async () => {
  const { lab, image } = await tlsLab("valid");
  const { plainHttpHosts } = await import("./diagnose-support.js");
  const r = await diagnose(image, "--hosts-dir", plainHttpHosts(lab.registry.host));
  expectCause(r, "tls");
});
