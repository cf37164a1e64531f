/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1 challenges with RFC 6750 auth-params).
 *
 * Registries put several challenges in one header (`Basic realm="quay.io", Bearer realm=…`) and
 * quote values that contain commas (`scope="repository:a:pull,push"`), so splitting on commas is
 * wrong. This is a small hand-written scanner that never throws: anything it cannot read ends the
 * current challenge and scanning resumes at the next one it can recognise.
 */

export interface AuthChallenge {
  /** Lower-cased, since schemes are case-insensitive: "bearer", "basic", … */
  scheme: "bearer" | "basic" | string;
  /** Parameter names lower-cased; values as sent, with quoting removed. */
  params: Record<string, string>;
  /** The `token68` form some schemes use instead of parameters (`Negotiate abc==`). */
  token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

export function parseWwwAuthenticate(header: string | string[]): AuthChallenge[] {
  const values = Array.isArray(header) ? header : [header];
  const out: AuthChallenge[] = [];
  for (const value of values) {
    if (typeof value === "string") out.push(...new ChallengeScanner(value).all());
  }
  return out;
}

class ChallengeScanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  all(): AuthChallenge[] {
    const out: AuthChallenge[] = [];
    for (;;) {
      this.skip(/[\s,]/);
      if (this.done()) return out;
      const scheme = this.token();
      // "name=" where a scheme should be is a parameter without its scheme: skip it.
      if (scheme === "" || this.peek() === "=") {
        this.skipPastComma();
        continue;
      }
      out.push(this.challenge(scheme.toLowerCase()));
    }
  }

  private challenge(scheme: string): AuthChallenge {
    const challenge: AuthChallenge = { scheme, params: {} };
    const afterScheme = this.pos;
    this.skip(/[ \t]/);
    if (this.pos === afterScheme) return challenge; // a scheme alone, followed by "," or the end

    const token68 = this.token68();
    if (token68 !== undefined) {
      challenge.token68 = token68;
      return challenge;
    }
    for (;;) {
      const start = this.pos;
      const name = this.token();
      this.skip(/[ \t]/);
      if (name === "" || this.peek() !== "=") {
        // Not "name=": this is the next challenge's scheme (or junk); leave it for all().
        this.pos = start;
        return challenge;
      }
      this.pos++;
      this.skip(/[ \t]/);
      const value = this.peek() === '"' ? this.quoted() : this.token();
      if (value === undefined) return challenge; // unterminated quote: nothing after it can be trusted
      const key = name.toLowerCase();
      // RFC 9110: a parameter occurs once; keeping the first stops a later copy overriding the realm.
      if (!Object.hasOwn(challenge.params, key)) challenge.params[key] = value;
      this.skip(/[ \t]/);
      // Junk after a value is dropped up to the next comma; the parameters after it still count.
      if (this.peek() !== ",") this.skipPastComma();
      if (this.done()) return challenge;
      this.skip(/[\s,]/);
    }
  }

  /** A token68 is recognised only when it is the whole credential: letters then optional "=" padding, then "," or the end. */
  private token68(): string | undefined {
    let end = this.pos;
    while (end < this.text.length && TOKEN68_CHAR.test(this.text[end] ?? "")) end++;
    if (end === this.pos) return undefined;
    let padded = end;
    while (this.text[padded] === "=") padded++;
    let after = padded;
    while (this.text[after] === " " || this.text[after] === "\t") after++;
    const atBoundary = after >= this.text.length || this.text[after] === ",";
    // "name=value" also looks like token68 followed by "="; it is a parameter unless the "=" run ends the item.
    const isParam = padded > end && !atBoundary;
    if (!atBoundary || isParam) return undefined;
    // "Bearer realm" (no "=") is a bare word, which RFC 9110 reads as token68 too; keep that reading.
    const value = this.text.slice(this.pos, padded);
    this.pos = after;
    return value;
  }

  private quoted(): string | undefined {
    let value = "";
    let i = this.pos + 1;
    while (i < this.text.length) {
      const ch = this.text[i] ?? "";
      if (ch === "\\") {
        const next = this.text[i + 1];
        if (next === undefined) break;
        value += next;
        i += 2;
        continue;
      }
      if (ch === '"') {
        this.pos = i + 1;
        return value;
      }
      value += ch;
      i++;
    }
    this.pos = this.text.length;
    return undefined;
  }

  private token(): string {
    const start = this.pos;
    while (!this.done() && TCHAR.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private skipPastComma(): void {
    while (!this.done() && this.peek() !== ",") {
      if (this.peek() === '"') {
        this.quoted();
        continue;
      }
      this.pos++;
    }
  }

  private skip(chars: RegExp): void {
    while (!this.done() && chars.test(this.peek())) this.pos++;
  }

  private peek(): string {
    return this.text[this.pos] ?? "";
  }

  private done(): boolean {
    return this.pos >= this.text.length;
  }
}

/** Bearer first: a registry offering both wants tokens, and Basic there is often a legacy fallback. */
export function preferredChallenge(challenges: AuthChallenge[]): AuthChallenge | undefined {
  return challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
}
