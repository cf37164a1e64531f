// The .proto files are the source of truth; the TypeScript that mirrors them (core/protocol for
// pullmedic.v1, agent/runtime/types.ts for the CRI) is checked against them, message by message
// and field by field, with the options the code hands proto-loader at run time.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import protobuf from "protobufjs";
import { CRI_LOAD_OPTIONS } from "../../agent/runtime/proto.js";
import { PROTOCOL_LOAD_OPTIONS } from "../../core/protocol/protocol.js";
import { type DecodeOptions, type ProtoContract, protoDrift } from "./proto-drift.js";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

const PULLMEDIC: ProtoContract = {
  protoText: read("proto/pullmedic/v1/pullmedic.proto"),
  package: "pullmedic.v1",
  tsText: read("core/protocol/protocol.ts"),
  options: PROTOCOL_LOAD_OPTIONS,
  renamed: { NodeConditionReport: "NodeCondition", HygieneRiskReport: "HygieneRisk", SecretCheckReport: "SecretCheck" },
  notMessages: {
    FindingKind: "the member names of Finding's oneof, checked where Finding uses it",
    AggregatorProtocol: "the loaded gRPC service, not a message",
  },
  complete: true,
};

const CRI: ProtoContract = {
  protoText: read("proto/cri/runtime/v1/api.proto"),
  package: "runtime.v1",
  tsText: read("agent/runtime/types.ts"),
  options: CRI_LOAD_OPTIONS,
  renamed: { CriImage: "Image", CriContainer: "Container", CriPodSandbox: "PodSandbox", VersionInfo: "VersionResponse", ImageFsInfo: "ImageFsInfoResponse" },
  notMessages: { RuntimeStatusInfo: "StatusResponse flattened by the client (status.conditions and info)" },
  sentOnly: ["AuthConfig", "PodSandboxConfig", "ContainerConfig"],
  // The CRI is not ours: the TypeScript declares only what pullmedic reads or sends.
  complete: false,
};

test("pullmedic.v1: core/protocol/protocol.ts mirrors every message and field of pullmedic.proto", () => {
  assert.deepEqual(protoDrift(PULLMEDIC), []);
});

test("runtime.v1: agent/runtime/types.ts agrees with the CRI proto on every field it declares", () => {
  assert.deepEqual(protoDrift(CRI), []);
});

test("the code loads both protos with keepCase false: names travel in camelCase", () => {
  assert.equal(PROTOCOL_LOAD_OPTIONS.keepCase, false);
  assert.equal(CRI_LOAD_OPTIONS.keepCase, false);
});

/** What proto-loader's deserializer does: toObject(decode(bytes), options). */
function decode(protoText: string, message: string, options: DecodeOptions, value: object = {}): Record<string, unknown> {
  const type = protobuf.parse(protoText, { keepCase: options.keepCase === true }).root.lookupType(message);
  const bytes = type.encode(type.fromObject(value)).finish();
  return type.toObject(type.decode(bytes), options as protobuf.IConversionOptions);
}

test("the presence rules the check assumes are what proto-loader's decoder does", () => {
  const empty = decode(PULLMEDIC.protoText, "pullmedic.v1.NodeReport", PROTOCOL_LOAD_OPTIONS);
  assert.deepEqual(Object.keys(empty).sort(), Object.keys(emptyNodeReportKeys()).sort());
  assert.equal(empty.images, null, "an unset message is null");
  assert.deepEqual(empty.disks, [], "an unset repeated field is []");
  assert.deepEqual(empty.checkErrors, {}, "an unset map is {}");
  assert.equal(empty.observedAtMs, 0, "int64 with longs: Number is a number");

  const none = decode(PULLMEDIC.protoText, "pullmedic.v1.Finding", PROTOCOL_LOAD_OPTIONS);
  assert.deepEqual(Object.keys(none).sort(), ["atMs", "id"], "oneof members and the oneof name are absent when none is set");
  const set = decode(PULLMEDIC.protoText, "pullmedic.v1.Finding", PROTOCOL_LOAD_OPTIONS, { secretBroken: { secret: "a/b" } });
  assert.equal(set.kind, "secretBroken", "the oneof holds the camelCase name of the member set");

  const image = decode(CRI.protoText, "runtime.v1.Image", CRI_LOAD_OPTIONS, { size: "12345678901234567" });
  assert.equal(image.size, "12345678901234567", "uint64 with longs: String is a decimal string");
  const container = decode(CRI.protoText, "runtime.v1.Container", CRI_LOAD_OPTIONS);
  assert.equal(container.state, "CONTAINER_CREATED", "enums: String decodes an enum as its value name");
});

function emptyNodeReportKeys(): Record<string, unknown> {
  const fields = protobuf.parse(PULLMEDIC.protoText, { keepCase: false }).root.lookupType("pullmedic.v1.NodeReport").fieldsArray;
  return Object.fromEntries(fields.map((f) => [f.name, true]));
}

/** The contract with one textual change to its TypeScript or its proto; the change must apply. */
function mutated(contract: ProtoContract, side: "tsText" | "protoText", from: string, to: string): ProtoContract {
  const text = contract[side];
  assert.ok(text.includes(from), `the mutation's text is not in the ${side}: ${from}`);
  return { ...contract, [side]: text.replace(from, to) };
}

const MUTATIONS: { what: string; contract: ProtoContract; expect: RegExp[] }[] = [
  {
    what: "a misspelt field name",
    contract: mutated(PULLMEDIC, "tsText", "  agentVersion: string;", "  agentVerison: string;"),
    expect: [/^Hello\.agentVerison: pullmedic\.v1\.Hello has no field "agentVerison"/, /^Hello: field 2 "agentVersion" of pullmedic\.v1\.Hello is missing/],
  },
  {
    what: "a proto field name as written in the .proto (snake_case), which proto-loader does not use",
    contract: mutated(CRI, "tsText", "  serverAddress?: string;", "  server_address?: string;"),
    expect: [/^AuthConfig\.server_address: runtime\.v1\.AuthConfig has no field "server_address" \(proto-loader loads with keepCase false/],
  },
  {
    what: "a field type",
    contract: mutated(PULLMEDIC, "tsText", "  reportIntervalSeconds: number;", "  reportIntervalSeconds: string;"),
    expect: [/^Hello\.reportIntervalSeconds \(pullmedic\.v1\.Hello field 4\): uint32 decodes as number, TypeScript says string/],
  },
  {
    what: "a 64-bit CRI integer as a number (the CRI loads longs as strings)",
    contract: mutated(CRI, "tsText", "  size: string;", "  size: number;"),
    expect: [/^CriImage\.size \(runtime\.v1\.Image field 4\): uint64 decodes as string, TypeScript says number/],
  },
  {
    what: "a message field that forgets null",
    contract: mutated(PULLMEDIC, "tsText", "  images: ImagesReport | null;", "  images: ImagesReport;"),
    expect: [/^NodeReport\.images \(pullmedic\.v1\.NodeReport field 5\): an unset message decodes as null/],
  },
  {
    what: "a repeated field declared single",
    contract: mutated(PULLMEDIC, "tsText", "  fix: string[];", "  fix: string;"),
    expect: [/^PullFailure\.fix \(pullmedic\.v1\.PullFailure field 8\): repeated string is an array, not string/],
  },
  {
    what: "a oneof member declared always present",
    contract: mutated(PULLMEDIC, "tsText", "  hello?: Hello;", "  hello: Hello;"),
    expect: [/^AgentMessage\.hello \(pullmedic\.v1\.AgentMessage field 2\): a oneof member is absent unless set/],
  },
  {
    what: "a oneof whose member list lost one",
    contract: mutated(
      PULLMEDIC,
      "tsText",
      'body?: "hello" | "report" | "finding" | "commandUpdate" | "delta";',
      'body?: "hello" | "report" | "finding" | "commandUpdate";',
    ),
    expect: [/^AgentMessage\.body \(oneof of pullmedic\.v1\.AgentMessage\): members are hello, report, finding, commandUpdate/],
  },
  {
    what: "a field added to the proto only",
    contract: mutated(PULLMEDIC, "protoText", "  string note = 11;\n}", "  string note = 11;\n  string owner = 12;\n}"),
    expect: [/^PullFailure: field 12 "owner" of pullmedic\.v1\.PullFailure is missing from TypeScript/],
  },
  {
    what: "a message added to the proto only",
    contract: mutated(PULLMEDIC, "protoText", "message Ack {", "message Nack {\n  uint64 seq = 1;\n}\n\nmessage Ack {"),
    expect: [/^pullmedic\.v1\.Nack: no TypeScript interface mirrors it/],
  },
  {
    what: "a message pointing at the wrong interface",
    contract: mutated(PULLMEDIC, "tsText", "  conditions: NodeConditionReport[];", "  conditions: HygieneRiskReport[];"),
    expect: [
      /^NodeReport\.conditions \(pullmedic\.v1\.NodeReport field 11\): HygieneRiskReport mirrors HygieneRisk, the field holds pullmedic\.v1\.NodeCondition/,
    ],
  },
  {
    what: "an enum value the decoder can produce but TypeScript does not list",
    contract: mutated(CRI, "tsText", ' | "CONTAINER_UNKNOWN";', ";"),
    expect: [
      /^ContainerState: enum runtime\.v1\.ContainerState also decodes as CONTAINER_UNKNOWN/,
      /^CriContainer\.state \(runtime\.v1\.Container field 6\): enum runtime\.v1\.ContainerState also decodes as CONTAINER_UNKNOWN/,
    ],
  },
  {
    what: "an enum value the proto does not have, in a message we only send",
    contract: mutated(CRI, "tsText", 'network?: "POD" | "CONTAINER" | "NODE";', 'network?: "POD" | "CONTAINER" | "HOST";'),
    expect: [
      /^PodSandboxConfig\.linux\.securityContext\.namespaceOptions\.network \(runtime\.v1\.NamespaceOption field 1\): HOST not in enum runtime\.v1\.NamespaceMode/,
    ],
  },
  {
    what: "an inline object field the message lacks",
    contract: mutated(CRI, "tsText", "  fsId: { mountpoint: string } | null;", "  fsId: { mountPoint: string } | null;"),
    expect: [/^FilesystemUsage\.fsId\.mountPoint: runtime\.v1\.FilesystemIdentifier has no field "mountPoint"/],
  },
];

for (const m of MUTATIONS) {
  test(`the check fails on ${m.what}`, () => {
    const problems = protoDrift(m.contract);
    for (const re of m.expect)
      assert.ok(
        problems.some((p) => re.test(p)),
        `no problem matches ${re}; got:\n${problems.join("\n")}`,
      );
    assert.equal(problems.length, m.expect.length, `exactly the expected problems; got:\n${problems.join("\n")}`);
  });
}
