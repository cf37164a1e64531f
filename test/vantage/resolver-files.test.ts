import assert from "node:assert/strict";
import { test } from "node:test";
import { RuntimeResolver } from "../../agent/vantage/name-resolver.js";
import { parseHostsFile, parseNsswitch, parseResolvConf } from "../../agent/vantage/resolver-files.js";

test("resolv.conf: three nameservers, the last search or domain line, options clamped as Go does", () => {
  const c = parseResolvConf(
    [
      "# a comment",
      "domain first.example",
      "nameserver 10.0.0.1",
      "nameserver not-an-ip",
      "nameserver [fd00::1]",
      "nameserver 10.0.0.3",
      "nameserver 10.0.0.4",
      "search corp.example. svc.example",
      "options ndots:20 timeout:0 attempts:3 rotate edns0 ndots:x",
      "sortlist 10.0.0.0",
    ].join("\n"),
  );
  assert.deepEqual(c.nameservers, ["10.0.0.1", "fd00::1", "10.0.0.3"]);
  assert.deepEqual(c.search, ["corp.example", "svc.example"]);
  assert.equal(c.ndots, 15);
  assert.equal(c.timeoutSeconds, 1);
  assert.equal(c.attempts, 3);
  assert.equal(c.rotate, true);
  assert.match(c.notes.join("\n"), /not-an-ip" is not an IP address/);
  assert.match(c.notes.join("\n"), /10\.0\.0\.4 is past the third/);
  assert.match(c.notes.join("\n"), /ndots:x" has no number/);
  assert.match(c.notes.join("\n"), /sortlist/);
});

test("resolv.conf that is empty or garbage: Go's defaults, said in a note", () => {
  const c = parseResolvConf("\u0000\u0001 garbage\n");
  assert.deepEqual(c.nameservers, []);
  assert.equal(c.ndots, 1);
  assert.equal(c.timeoutSeconds, 5);
  assert.equal(c.attempts, 2);
  assert.match(c.notes.join("\n"), /no usable nameserver line: Go asks 127\.0\.0\.1 and ::1/);
});

test("hosts: names and aliases case-insensitively, bad lines named", () => {
  const h = parseHostsFile("127.0.0.1 localhost\n10.1.2.3 Registry.Corp.example reg # comment\n::1 localhost\nnot-an-ip name\n10.0.0.9\n");
  assert.deepEqual(h.byName.get("registry.corp.example"), ["10.1.2.3"]);
  assert.deepEqual(h.byName.get("reg"), ["10.1.2.3"]);
  assert.deepEqual(h.byName.get("localhost"), ["127.0.0.1", "::1"]);
  assert.equal(h.notes.length, 2);
});

test("nsswitch: the order of files and dns; the rest noted; none or no file means files, dns", () => {
  assert.deepEqual(parseNsswitch("passwd: files\nhosts: dns [NOTFOUND=return] files myhostname\n").order, ["dns", "files"]);
  assert.match(parseNsswitch("hosts: files mdns4_minimal dns").notes.join(), /mdns4_minimal/);
  assert.deepEqual(parseNsswitch(undefined).order, ["files", "dns"]);
  assert.deepEqual(parseNsswitch("passwd: files\n").order, ["files", "dns"]);
});

test("the search list is tried before the name below ndots dots, after it at or above", () => {
  const r = new RuntimeResolver({
    hosts: parseHostsFile(""),
    hostsLabel: "/etc/hosts",
    order: parseNsswitch(undefined),
    conf: parseResolvConf("search a.example b.example\noptions ndots:2\n"),
    confLabel: "/etc/resolv.conf",
  });
  assert.deepEqual(r.candidates("registry"), ["registry.a.example", "registry.b.example", "registry"]);
  assert.deepEqual(r.candidates("reg.corp.example"), ["reg.corp.example", "reg.corp.example.a.example", "reg.corp.example.b.example"]);
  assert.deepEqual(r.candidates("rooted.example."), ["rooted.example"]);
});

test("a name in the hosts file is answered from it, named as the source", async () => {
  const r = new RuntimeResolver({
    hosts: parseHostsFile("10.9.9.9 only-here.example\n"),
    hostsLabel: "/etc/hosts in containerd's root (pid 1)",
    order: parseNsswitch("hosts: files dns\n"),
    // A resolver that would fail: nothing may reach DNS when files answers first.
    conf: parseResolvConf("nameserver 192.0.2.1\noptions timeout:1 attempts:1\n"),
    confLabel: "/etc/resolv.conf",
  });
  assert.deepEqual(await r.lookup("ONLY-HERE.example", 2000), {
    addresses: [{ address: "10.9.9.9", family: 4 }],
    source: "/etc/hosts in containerd's root (pid 1)",
  });
});
