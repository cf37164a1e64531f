// Where and why a JSON text fails to parse, without quoting any of it: V8's own SyntaxError
// quotes the input around the error, and a docker config's input may be a password. Iterative,
// with an explicit stack, so deep nesting cannot overflow ours.

export interface JsonProblem {
  offset: number;
  reason: string;
}

type Expecting = "value" | "after" | "key" | "objStart" | "arrStart";

/** The scanner's position: the offset, what comes next, and the open objects and arrays. */
class Scan {
  at = 0;
  expecting: Expecting = "value";
  readonly open: ("{" | "[")[] = [];

  constructor(readonly text: string) {}

  problem(reason: string): JsonProblem {
    return { offset: this.at, reason };
  }

  skipSpace(): void {
    const t = this.text;
    while (this.at < t.length && (t[this.at] === " " || t[this.at] === "\t" || t[this.at] === "\n" || t[this.at] === "\r")) this.at++;
  }

  /** Steps over the "}" or "]" that ends the innermost object or array; nothing is wrong there. */
  close(): undefined {
    this.open.pop();
    this.at++;
    this.expecting = "after";
    return undefined;
  }
}

/** The first syntax error of `text`, or undefined when it is valid JSON. */
export function locateJsonError(text: string): JsonProblem | undefined {
  const s = new Scan(text);
  for (;;) {
    s.skipSpace();
    if (s.at >= text.length) return endOfText(s);
    const c = text[s.at] ?? "";
    const problem = s.expecting === "objStart" || s.expecting === "key" ? propertyName(s, c) : s.expecting === "after" ? afterValue(s, c) : value(s, c);
    if (problem !== undefined) return problem;
  }
}

function endOfText(s: Scan): JsonProblem | undefined {
  if (s.expecting === "after" && s.open.length === 0) return undefined;
  const n = s.open.length;
  if (n === 0) return s.problem("the text ends where a value was expected");
  return s.problem(`the text ends inside ${n} unclosed ${s.open.at(-1) === "{" ? "object" : "array"}${n > 1 ? "s" : ""}`);
}

/** A property name and its ":" (or the "}" of an empty object). */
function propertyName(s: Scan, c: string): JsonProblem | undefined {
  if (s.expecting === "objStart" && c === "}") return s.close();
  if (c !== '"') return s.problem(`expected a property name in double quotes, found ${describeChar(c)}${c === "}" ? " (a trailing comma?)" : ""}`);
  const end = scanJsonString(s.text, s.at);
  if (typeof end !== "number") return end;
  s.at = end;
  s.skipSpace();
  if (s.at >= s.text.length) return s.problem('the text ends where ":" was expected');
  if (s.text[s.at] !== ":") return s.problem(`expected ":" after the property name, found ${describeChar(s.text[s.at] ?? "")}`);
  s.at++;
  s.expecting = "value";
  return undefined;
}

/** A value (or the "]" of an empty array): containers open, scalars are stepped over. */
function value(s: Scan, c: string): JsonProblem | undefined {
  if (s.expecting === "arrStart" && c === "]") return s.close();
  if (c === "{" || c === "[") {
    s.open.push(c);
    s.at++;
    s.expecting = c === "{" ? "objStart" : "arrStart";
    return undefined;
  }
  const end = scalarEnd(s.text, s.at, c);
  if (typeof end !== "number") return end;
  s.at = end;
  s.expecting = "after";
  return undefined;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** The offset after the string, number or literal starting at `at`, or the problem. */
function scalarEnd(text: string, at: number, c: string): number | JsonProblem {
  if (c === '"') return scanJsonString(text, at);
  if (c === "-" || (c >= "0" && c <= "9")) {
    NUMBER.lastIndex = at;
    const found = NUMBER.exec(text);
    return found === null ? { offset: at, reason: "invalid number" } : at + found[0].length;
  }
  for (const literal of ["true", "false", "null"]) if (text.startsWith(literal, at)) return at + literal.length;
  const hint = c === "'" ? " (JSON strings use double quotes)" : c === "]" || c === "}" ? " (a trailing comma?)" : "";
  return { offset: at, reason: `expected a value, found ${describeChar(c)}${hint}` };
}

/** After a value: a "," or the end of the object or array it is in. */
function afterValue(s: Scan, c: string): JsonProblem | undefined {
  const top = s.open.at(-1);
  if (top === undefined) return s.problem(`found ${describeChar(c)} after the end of the JSON value`);
  if ((c === "}" && top === "{") || (c === "]" && top === "[")) return s.close();
  if (c !== ",") return s.problem(`expected "," or "${top === "{" ? "}" : "]"}", found ${describeChar(c)}`);
  s.at++;
  s.expecting = top === "{" ? "key" : "value";
  return undefined;
}

/** Returns the offset after the closing quote, or the problem. */
function scanJsonString(text: string, start: number): number | JsonProblem {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (c === '"') return i + 1;
    if (c === "\\") {
      const e = text[i + 1];
      if (e === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return { offset: i, reason: "invalid \\u escape in a string" };
        i += 6;
        continue;
      }
      if (e === undefined || !'"\\/bfnrt'.includes(e)) return { offset: i, reason: "invalid escape in a string" };
      i += 2;
      continue;
    }
    if (c < " ") return { offset: i, reason: `${describeChar(c)} inside a string (control characters must be escaped)` };
    i++;
  }
  return { offset: start, reason: "a string is not closed" };
}

/** Names a character without echoing letters or digits, which could be part of a secret. */
export function describeChar(c: string): string {
  const names: Record<string, string> = { " ": "a space", "\t": "a tab", "\n": "a newline", "\r": "a carriage return" };
  const named = names[c];
  if (named !== undefined) return named;
  if (/^[A-Za-z]$/.test(c)) return "a letter";
  if (/^[0-9]$/.test(c)) return "a digit";
  const code = c.codePointAt(0) ?? 0;
  if (code > 0x20 && code < 0x7f) return JSON.stringify(c);
  return `the character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}
