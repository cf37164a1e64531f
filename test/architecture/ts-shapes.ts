// The declared shapes of a TypeScript file, read as text: interfaces (their fields, optional or
// not, and field types) and type aliases. Enough of the type grammar for hand-written message
// mirrors (keywords, string literals, names with type arguments, arrays, inline objects, unions);
// anything else is an error that names where it stopped. No TypeScript API: the compiler we build
// with has none.

export type TsType =
  | { kind: "keyword"; name: string }
  | { kind: "literal"; value: string }
  | { kind: "ref"; name: string; args: TsType[] }
  | { kind: "array"; element: TsType }
  | { kind: "object"; fields: TsField[] }
  | { kind: "union"; members: TsType[] };

export interface TsField {
  name: string;
  optional: boolean;
  type: TsType;
}

export interface TsShapes {
  interfaces: Map<string, TsField[]>;
  aliases: Map<string, TsType>;
  /** Declarations the reader could not follow, with where it stopped. */
  unreadable: Map<string, string>;
}

const KEYWORDS = new Set(["string", "number", "boolean", "bigint", "null", "undefined", "unknown", "any", "never", "void", "object"]);

/** Identifiers, string literals (kept with their quotes) and single punctuation characters. */
function tokenize(source: string): string[] {
  const tokens: string[] = [];
  const re = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|[A-Za-z_$][\w$]*|\d[\w.]*|\s+|[\s\S]/g;
  for (const m of source.matchAll(re)) {
    const t = m[0];
    if (/^\s/.test(t) || t.startsWith("//") || t.startsWith("/*")) continue;
    tokens.push(t);
  }
  return tokens;
}

class Reader {
  pos = 0;
  constructor(private readonly tokens: string[]) {}
  peek(ahead = 0): string | undefined {
    return this.tokens[this.pos + ahead];
  }
  next(): string {
    const t = this.tokens[this.pos++];
    if (t === undefined) throw new Error("the file ends inside a declaration");
    return t;
  }
  take(t: string): boolean {
    if (this.peek() !== t) return false;
    this.pos++;
    return true;
  }
  expect(t: string, where: string): void {
    const got = this.next();
    if (got !== t) throw new Error(`${where}: expected "${t}", found "${got}"`);
  }
}

const isIdentifier = (t: string | undefined): t is string => t !== undefined && /^[A-Za-z_$][\w$]*$/.test(t);

function readMembers(r: Reader, where: string): TsField[] {
  const fields: TsField[] = [];
  while (!r.take("}")) {
    r.take("readonly");
    const name = r.next();
    if (!isIdentifier(name) && !/^["']/.test(name)) throw new Error(`${where}: a member the reader does not understand at "${name}"`);
    const optional = r.take("?");
    r.expect(":", `${where}.${name}`);
    fields.push({ name: name.replace(/^["']|["']$/g, ""), optional, type: readType(r, `${where}.${name}`) });
    if (!r.take(";")) r.take(",");
  }
  return fields;
}

function readType(r: Reader, where: string): TsType {
  r.take("|");
  const members = [readArrayOf(r, where)];
  while (r.take("|")) members.push(readArrayOf(r, where));
  return members.length === 1 ? members[0]! : { kind: "union", members };
}

function readArrayOf(r: Reader, where: string): TsType {
  let type = readPrimary(r, where);
  while (r.peek() === "[" && r.peek(1) === "]") {
    r.pos += 2;
    type = { kind: "array", element: type };
  }
  return type;
}

function readPrimary(r: Reader, where: string): TsType {
  const t = r.next();
  if (t === "{") return { kind: "object", fields: readMembers(r, where) };
  if (t === "(") {
    const inner = readType(r, where);
    r.expect(")", where);
    return inner;
  }
  if (/^["']/.test(t)) return { kind: "literal", value: t.slice(1, -1) };
  if (!isIdentifier(t)) throw new Error(`${where}: a type the reader does not understand at "${t}"`);
  if (KEYWORDS.has(t)) return { kind: "keyword", name: t };
  let name = t;
  while (r.peek() === "." && isIdentifier(r.peek(1))) {
    r.pos++;
    name += `.${r.next()}`;
  }
  const args: TsType[] = [];
  if (r.take("<")) {
    do args.push(readType(r, where));
    while (r.take(","));
    r.expect(">", where);
  }
  return { kind: "ref", name, args };
}

/** Reads every top-level `interface X { … }` and `type X = …;` of `source`. */
export function readShapes(source: string): TsShapes {
  const r = new Reader(tokenize(source));
  const shapes: TsShapes = { interfaces: new Map(), aliases: new Map(), unreadable: new Map() };
  let depth = 0;
  while (r.peek() !== undefined) {
    const t = r.next();
    if (t === "{") depth++;
    else if (t === "}") depth--;
    else if (depth === 0 && (t === "interface" || t === "type") && isIdentifier(r.peek()) && r.peek(1) === (t === "type" ? "=" : "{")) {
      const name = r.next();
      const start = r.pos;
      r.next();
      try {
        if (t === "interface") shapes.interfaces.set(name, readMembers(r, name));
        else shapes.aliases.set(name, readType(r, name));
      } catch (err) {
        // Scanning resumes inside the declaration; its braces keep the depth count right.
        shapes.unreadable.set(name, (err as Error).message);
        r.pos = start;
      }
    }
  }
  return shapes;
}

/** A type as TypeScript would print it, for messages. */
export function showType(type: TsType): string {
  switch (type.kind) {
    case "keyword":
      return type.name;
    case "literal":
      return JSON.stringify(type.value);
    case "ref":
      return type.args.length ? `${type.name}<${type.args.map(showType).join(", ")}>` : type.name;
    case "array":
      return `${type.element.kind === "union" ? `(${showType(type.element)})` : showType(type.element)}[]`;
    case "object":
      return `{ ${type.fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${showType(f.type)}`).join("; ")} }`;
    case "union":
      return type.members.map(showType).join(" | ");
  }
}
