import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseProxy, proxyLabel, proxySettings } from "../../agent/vantage/proxy.js";

const env = (o: Record<string, string>) => new Map(Object.entries(o));
const via = (e: Record<string, string>, url: string): string | undefined => chooseProxy(proxySettings(env(e)), new URL(url)).proxy?.host;

test("the scheme picks the variable, upper case wins, a bare host:port means http://", () => {
  const e = { HTTPS_PROXY: "secure:3128", https_proxy: "lower:1", HTTP_PROXY: "http://plain:8080" };
  assert.equal(via(e, "https://registry.example.com/v2/"), "secure:3128");
  assert.equal(proxySettings(env(e)).https?.protocol, "http:");
  assert.equal(via(e, "http://registry.example.com/v2/"), "plain:8080");
  assert.equal(via({ https_proxy: "lower:1" }, "https://r.example/"), "lower:1");
  // An empty upper-case value does not hide the lower-case one (Go's getEnvAny).
  assert.equal(via({ HTTPS_PROXY: "", https_proxy: "lower:1" }, "https://r.example/"), "lower:1");
  assert.equal(via({ HTTP_PROXY: "p:1" }, "https://r.example/"), undefined, "HTTP_PROXY is not used for https");
});

test("NO_PROXY: names match themselves and subdomains, a leading dot or *. only subdomains", () => {
  const e = { HTTPS_PROXY: "p:1", NO_PROXY: "corp.example, .internal.example,*.svc.example ,Other.Example:5000" };
  assert.equal(via(e, "https://corp.example/"), undefined);
  assert.equal(via(e, "https://reg.corp.example/"), undefined);
  assert.equal(via(e, "https://xcorp.example/"), "p:1", "a suffix without the dot is not a subdomain");
  assert.equal(via(e, "https://internal.example/"), "p:1", ".internal.example does not match itself");
  assert.equal(via(e, "https://a.internal.example/"), undefined);
  assert.equal(via(e, "https://svc.example/"), "p:1");
  assert.equal(via(e, "https://a.svc.example/"), undefined);
  assert.equal(via(e, "https://other.example:5000/"), undefined, "entries are lower-cased, the port must match");
  assert.equal(via(e, "https://other.example/"), "p:1", "port 443 is not 5000");
});

test("NO_PROXY: IPs and CIDRs match addresses only, with an optional port; * matches all", () => {
  const e = { HTTPS_PROXY: "p:1", HTTP_PROXY: "p:2", NO_PROXY: "10.0.0.0/8,192.168.1.5,[2001:db8::1]:443,172.16.0.1:8443" };
  assert.equal(via(e, "https://10.20.30.40/"), undefined);
  assert.equal(via(e, "https://11.0.0.1/"), "p:1");
  assert.equal(via(e, "http://192.168.1.5:5000/"), undefined);
  assert.equal(via(e, "https://[2001:db8::1]/"), undefined);
  assert.equal(via(e, "https://[2001:db8::1]:8443/"), "p:1");
  assert.equal(via(e, "https://172.16.0.1:8443/"), undefined);
  assert.equal(via(e, "https://172.16.0.1/"), "p:1");
  assert.equal(via(e, "https://ten.example/"), "p:1", "a CIDR never matches a name, even one resolving into it");
  assert.equal(via({ HTTPS_PROXY: "p:1", NO_PROXY: "*" }, "https://anything.example/"), undefined);
});

test("localhost and loopback addresses are never proxied, whatever NO_PROXY says", () => {
  const e = { HTTPS_PROXY: "p:1", HTTP_PROXY: "p:1" };
  for (const url of ["http://localhost:5000/", "https://127.0.0.1/", "http://127.9.9.9:80/", "https://[::1]:5000/"]) assert.equal(via(e, url), undefined, url);
  const why = chooseProxy(proxySettings(env(e)), new URL("https://127.0.0.1/")).why;
  assert.match(why, /loopback/);
});

test("REQUEST_METHOD makes Go refuse HTTP_PROXY; an unusable value is a note, never with its credentials", () => {
  assert.equal(via({ HTTP_PROXY: "p:1", REQUEST_METHOD: "GET" }, "http://r.example/"), undefined);
  const s = proxySettings(env({ HTTPS_PROXY: "ftp://user:s3cret@p:1" }));
  assert.match(s.notes.join(), /scheme ftp/);
  assert.doesNotMatch(s.notes.join(), /s3cret/);
  assert.equal(proxyLabel(new URL("http://user:s3cret@proxy.example:3128")), "http://proxy.example:3128");
});
