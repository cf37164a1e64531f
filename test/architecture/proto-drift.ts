// Where hand-written TypeScript mirrors of a .proto file disagree with it. The proto is parsed by
// protobufjs with the same options @grpc/proto-loader gets at run time (so field names are the
// ones that travel: camelCase when keepCase is false), and each TypeScript field is compared with
// what proto-loader's decoder produces for that proto field:
// - names: a TypeScript field the message lacks is dropped on the wire without a word;
// - types: string, number or boolean per scalar (64-bit integers per `longs`), enums as their value
//   names (`enums: String`), messages as the interface mirroring that message, `T[]` for repeated,
//   `Record<string, V>` for maps;
// - presence (`defaults: true`, `oneofs: true`): every field outside a oneof is always there, a
//   message as `T | null` when unset; a oneof member is there only when set, so it is optional,
//   and the oneof's own name holds which member is set.
// A complete contract (our own proto) must also have every proto message and field in TypeScript.
import protobuf from "protobufjs";
import { readShapes, showType, type TsField, type TsShapes, type TsType } from "./ts-shapes.js";

/** The proto-loader options that matter to the shapes (the ones the code loads the proto with). */
export interface DecodeOptions {
  keepCase?: boolean;
  longs?: unknown;
  enums?: unknown;
  defaults?: boolean;
  oneofs?: boolean;
}

export interface ProtoContract {
  protoText: string;
  /** The proto package the TypeScript mirrors, e.g. "pullmedic.v1". */
  package: string;
  tsText: string;
  options: DecodeOptions;
  /** TypeScript name → proto message or enum name, where they differ. */
  renamed?: Record<string, string>;
  /** TypeScript declarations that mirror no message, with why. */
  notMessages?: Record<string, string>;
  /** Interfaces the code only sends: fields may be left out, enums may use a subset. */
  sentOnly?: string[];
  /** Every message and field of the package has its TypeScript counterpart, and nothing is optional that the decoder always sets. */
  complete: boolean;
}

type Mode = "decoded" | "sent";

interface Scalars {
  long: string;
  enumsAsNames: boolean;
}

class DriftCheck {
  readonly problems: string[] = [];
  readonly covered = new Set<string>();
  readonly scalars: Scalars;

  constructor(
    readonly contract: ProtoContract,
    readonly ns: protobuf.Namespace,
    readonly shapes: TsShapes,
  ) {
    const { longs, enums } = contract.options;
    this.scalars = { long: longs === String ? "string" : longs === Number ? "number" : "Long", enumsAsNames: enums === String };
  }

  protoNameOf(tsName: string): string {
    return this.contract.renamed?.[tsName] ?? tsName;
  }

  message(path: string, fields: TsField[], type: protobuf.Type, mode: Mode): void {
    this.covered.add(type.fullName);
    const oneofs = this.contract.options.oneofs ? new Map(type.oneofsArray.map((o) => [o.name, o])) : new Map<string, protobuf.OneOf>();
    const seen = new Set<string>();
    for (const f of fields) {
      seen.add(f.name);
      const pf = type.fields[f.name];
      const oneof = oneofs.get(f.name);
      if (pf) this.field(`${path}.${f.name}`, f, pf, mode);
      else if (oneof) this.oneofCase(`${path}.${f.name}`, f, oneof);
      else this.problems.push(`${path}.${f.name}: ${fullName(type)} has no field "${f.name}"${snakeHint(f.name, this.contract.options)}; it would not travel`);
    }
    if (!this.contract.complete) return;
    for (const pf of type.fieldsArray) {
      if (!seen.has(pf.name)) this.problems.push(`${path}: field ${pf.id} "${pf.name}" of ${fullName(type)} is missing from TypeScript`);
    }
    for (const name of oneofs.keys()) {
      if (!seen.has(name)) this.problems.push(`${path}: oneof "${name}" of ${fullName(type)} is missing from TypeScript (which member is set)`);
    }
  }

  field(path: string, f: TsField, pf: protobuf.Field, mode: Mode): void {
    const where = `${path} (${fullName(pf.parent as protobuf.Type)} field ${pf.id})`;
    const inOneof = pf.partOf !== null && this.contract.options.oneofs === true;
    const nullable = includesNull(f.type);
    const core = withoutNull(f.type);
    if (mode === "decoded") {
      if (inOneof && !f.optional) this.problems.push(`${where}: a oneof member is absent unless set, so it must be optional`);
      if (!inOneof && f.optional && this.contract.complete) this.problems.push(`${where}: the decoder always sets it, so it must not be optional`);
      const isMessage = !pf.repeated && !pf.map && pf.resolvedType instanceof protobuf.Type;
      if (isMessage && !inOneof && !nullable && !f.optional) this.problems.push(`${where}: an unset message decodes as null, so the type needs "| null"`);
      if (!isMessage && nullable) this.problems.push(`${where}: never null when decoded (${showType(f.type)})`);
    }
    if (pf.map) {
      const map = pf as unknown as protobuf.MapField;
      if (core.kind !== "ref" || core.name !== "Record" || core.args.length !== 2 || showType(core.args[0]!) !== "string") {
        this.problems.push(`${where}: a map<${map.keyType}, ${map.type}> is Record<string, …>, not ${showType(core)}`);
        return;
      }
      this.element(path, where, core.args[1]!, pf, mode);
    } else if (pf.repeated) {
      if (core.kind !== "array") this.problems.push(`${where}: repeated ${pf.type} is an array, not ${showType(core)}`);
      else this.element(path, where, core.element, pf, mode);
    } else if (core.kind === "array") {
      this.problems.push(`${where}: a single ${pf.type}, not an array (${showType(core)})`);
    } else {
      this.element(path, where, core, pf, mode);
    }
  }

  /** `path` names the field for nested problems; `where` adds the proto field for this one's. */
  element(path: string, where: string, ts: TsType, pf: protobuf.Field, mode: Mode): void {
    const resolved = pf.resolvedType;
    if (resolved instanceof protobuf.Type) return this.messageRef(path, where, ts, resolved, mode);
    if (resolved instanceof protobuf.Enum) return this.enumValues(where, ts, resolved, mode);
    const expected = scalarType(pf.type, this.scalars);
    if (ts.kind !== "keyword" || ts.name !== expected) this.problems.push(`${where}: ${pf.type} decodes as ${expected}, TypeScript says ${showType(ts)}`);
  }

  messageRef(path: string, where: string, ts: TsType, type: protobuf.Type, mode: Mode): void {
    if (ts.kind === "object") return this.message(path, ts.fields, type, mode);
    if (ts.kind === "ref" && this.shapes.interfaces.has(ts.name)) {
      const mirrored = this.protoNameOf(ts.name);
      if (mirrored !== type.name) this.problems.push(`${where}: ${ts.name} mirrors ${mirrored}, the field holds ${fullName(type)}`);
      return;
    }
    this.problems.push(`${where}: ${fullName(type)} needs an interface of this file or an inline object, not ${showType(ts)}`);
  }

  enumValues(where: string, ts: TsType, e: protobuf.Enum, mode: Mode): void {
    const names = Object.keys(e.values);
    if (!this.scalars.enumsAsNames) {
      if (!(ts.kind === "keyword" && ts.name === "number")) this.problems.push(`${where}: enum ${fullName(e)} decodes as a number`);
      return;
    }
    const literals = this.literals(ts);
    if (literals === undefined) {
      this.problems.push(`${where}: enum ${fullName(e)} decodes as one of ${names.join(", ")}; TypeScript says ${showType(ts)}`);
      return;
    }
    const unknown = literals.filter((l) => !names.includes(l));
    const missing = mode === "decoded" ? names.filter((n) => !literals.includes(n)) : [];
    if (unknown.length) this.problems.push(`${where}: ${unknown.join(", ")} not in enum ${fullName(e)}`);
    if (missing.length) this.problems.push(`${where}: enum ${fullName(e)} also decodes as ${missing.join(", ")}`);
  }

  oneofCase(path: string, f: TsField, oneof: protobuf.OneOf): void {
    const where = `${path} (oneof of ${fullName(oneof.parent as protobuf.Type)})`;
    if (!f.optional) this.problems.push(`${where}: absent when no member is set, so it must be optional`);
    const literals = this.literals(withoutNull(f.type));
    const members = oneof.oneof;
    if (literals === undefined) this.problems.push(`${where}: holds the name of the member set (${members.join(", ")}), not ${showType(f.type)}`);
    else if ([...literals].sort().join() !== [...members].sort().join())
      this.problems.push(`${where}: members are ${members.join(", ")}; TypeScript says ${literals.join(", ")}`);
  }

  /** String literal union, through aliases of this file; undefined when it is anything else. */
  literals(ts: TsType): string[] | undefined {
    if (ts.kind === "ref" && ts.args.length === 0 && this.shapes.aliases.has(ts.name)) return this.literals(this.shapes.aliases.get(ts.name)!);
    if (ts.kind === "literal") return [ts.value];
    if (ts.kind !== "union") return undefined;
    const values = ts.members.map((m) => this.literals(m));
    return values.every((v) => v !== undefined) ? values.flat() : undefined;
  }
}

function fullName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, "");
}

function includesNull(t: TsType): boolean {
  return t.kind === "union" && t.members.some((m) => m.kind === "keyword" && m.name === "null");
}

function withoutNull(t: TsType): TsType {
  if (t.kind !== "union") return t;
  const rest = t.members.filter((m) => !(m.kind === "keyword" && (m.name === "null" || m.name === "undefined")));
  return rest.length === 1 ? rest[0]! : { kind: "union", members: rest };
}

function scalarType(protoType: string, s: Scalars): string {
  if (protoType === "string") return "string";
  if (protoType === "bool") return "boolean";
  if (protoType === "bytes") return "Buffer";
  if (/^(?:u?int64|sint64|s?fixed64)$/.test(protoType)) return s.long;
  return "number";
}

function snakeHint(name: string, options: DecodeOptions): string {
  return name.includes("_") && options.keepCase !== true ? " (proto-loader loads with keepCase false: names travel in camelCase)" : "";
}

function messagesAndEnums(ns: protobuf.NamespaceBase): (protobuf.Type | protobuf.Enum)[] {
  return ns.nestedArray.flatMap((o) => {
    if (o instanceof protobuf.Type) return [o, ...messagesAndEnums(o)];
    if (o instanceof protobuf.Enum) return [o];
    return [];
  });
}

/** Every disagreement between the proto and its TypeScript mirror, one sentence each; [] when none. */
export function protoDrift(contract: ProtoContract): string[] {
  const root = protobuf.parse(contract.protoText, { keepCase: contract.options.keepCase === true }).root;
  root.resolveAll();
  const ns = root.lookup(contract.package);
  if (!(ns instanceof protobuf.Namespace)) return [`the proto has no package ${contract.package}`];
  const shapes = readShapes(contract.tsText);
  const check = new DriftCheck(contract, ns, shapes);
  const notMessages = contract.notMessages ?? {};
  for (const [name, why] of shapes.unreadable) {
    if (!(name in notMessages)) check.problems.push(`${name}: the TypeScript could not be read (${why})`);
  }
  for (const [name, fields] of shapes.interfaces) {
    if (name in notMessages) continue;
    const target = ns.lookup(check.protoNameOf(name));
    const mode: Mode = contract.sentOnly?.includes(name) ? "sent" : "decoded";
    if (target instanceof protobuf.Type) check.message(name, fields, target, mode);
    else check.problems.push(`${name}: no message ${contract.package}.${check.protoNameOf(name)} in the proto`);
  }
  for (const [name, type] of shapes.aliases) {
    if (name in notMessages) continue;
    const target = ns.lookup(check.protoNameOf(name));
    if (target instanceof protobuf.Enum) {
      check.covered.add(target.fullName);
      check.enumValues(name, type, target, "decoded");
    } else check.problems.push(`${name}: no enum ${contract.package}.${check.protoNameOf(name)} in the proto`);
  }
  for (const name of [...Object.keys(contract.renamed ?? {}), ...Object.keys(notMessages), ...(contract.sentOnly ?? [])]) {
    if (!shapes.interfaces.has(name) && !shapes.aliases.has(name) && !shapes.unreadable.has(name))
      check.problems.push(`${name}: named by the contract but not declared in the TypeScript`);
  }
  if (contract.complete) {
    for (const t of messagesAndEnums(ns)) {
      if (t instanceof protobuf.Type && !check.covered.has(t.fullName)) check.problems.push(`${fullName(t)}: no TypeScript interface mirrors it`);
    }
  }
  return check.problems;
}
