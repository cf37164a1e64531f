/**
 * Checks the shape of registry JSON (manifests, token and tag answers) and says where it is
 * wrong ("manifests[2].digest: expected a string"). zod does this too, but costs ~80 ms to load
 * on every diagnose, more than the whole diagnosis takes on a fast registry; the handful of
 * shapes a registry client needs fit in this file.
 */

export interface ShapeIssue {
  path: (string | number)[];
  message: string;
}

export type SafeParse<T> = { success: true; data: T } | { success: false; issues: ShapeIssue[] };

export abstract class Shape<T> {
  /** Returns the value, or pushes issues and returns undefined. */
  abstract check(value: unknown, path: (string | number)[], issues: ShapeIssue[]): T | undefined;

  safeParse(value: unknown): SafeParse<T> {
    const issues: ShapeIssue[] = [];
    const data = this.check(value, [], issues);
    return issues.length === 0 ? { success: true, data: data as T } : { success: false, issues };
  }

  optional(): Shape<T | undefined> {
    return new Wrapped<T | undefined>(this, (v) => v === undefined);
  }

  nullable(): Shape<T | null> {
    return new Wrapped<T | null>(this, (v) => v === null);
  }

  or<U>(other: Shape<U>): Shape<T | U> {
    return new Either(this, other);
  }
}

export type Infer<S> = S extends Shape<infer T> ? T : never;

class Wrapped<T> extends Shape<T> {
  constructor(
    private readonly inner: Shape<unknown>,
    private readonly passes: (v: unknown) => boolean,
  ) {
    super();
  }
  check(value: unknown, path: (string | number)[], issues: ShapeIssue[]): T | undefined {
    return this.passes(value) ? (value as T) : (this.inner.check(value, path, issues) as T | undefined);
  }
}

class Either<A, B> extends Shape<A | B> {
  constructor(
    private readonly a: Shape<A>,
    private readonly b: Shape<B>,
  ) {
    super();
  }
  check(value: unknown, path: (string | number)[], issues: ShapeIssue[]): A | B | undefined {
    const first: ShapeIssue[] = [];
    const a = this.a.check(value, path, first);
    if (first.length === 0) return a;
    const second: ShapeIssue[] = [];
    const b = this.b.check(value, path, second);
    if (second.length === 0) return b;
    issues.push(...first);
    return undefined;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value}`;
}

class Primitive<T> extends Shape<T> {
  constructor(
    private readonly name: string,
    private readonly test: (v: unknown) => string | undefined,
  ) {
    super();
  }
  check(value: unknown, path: (string | number)[], issues: ShapeIssue[]): T | undefined {
    const problem = this.test(value);
    if (problem === undefined) return value as T;
    issues.push({ path, message: problem });
    return undefined;
  }
  /** Another primitive that also passes `test`. */
  refine(test: (v: T) => string | undefined): Primitive<T> {
    return new Primitive<T>(this.name, (v) => this.test(v) ?? test(v as T));
  }
}

class StringShape extends Primitive<string> {
  constructor() {
    super("string", (v) => (typeof v === "string" ? undefined : `expected a string, found ${describe(v)}`));
  }
  regex(re: RegExp, message: string): Primitive<string> {
    return this.refine((v) => (re.test(v) ? undefined : message));
  }
}

class NumberShape extends Primitive<number> {
  constructor() {
    super("number", (v) => (typeof v === "number" && Number.isFinite(v) ? undefined : `expected a number, found ${describe(v)}`));
  }
  nonNegativeInteger(): Primitive<number> {
    return this.refine((v) => (Number.isInteger(v) && v >= 0 ? undefined : "expected a whole number of at least 0"));
  }
}

class ArrayShape<T> extends Shape<T[]> {
  constructor(private readonly item: Shape<T>) {
    super();
  }
  check(value: unknown, path: (string | number)[], issues: ShapeIssue[]): T[] | undefined {
    if (!Array.isArray(value)) {
      issues.push({ path, message: `expected an array, found ${describe(value)}` });
      return undefined;
    }
    const before = issues.length;
    const out = value.map((v, i) => this.item.check(v, [...path, i], issues));
    return issues.length === before ? (out as T[]) : undefined;
  }
}

type ObjectOf<P extends Record<string, Shape<unknown>>> = { [K in keyof P]: Infer<P[K]> };

class ObjectShape<P extends Record<string, Shape<unknown>>> extends Shape<ObjectOf<P>> {
  constructor(private readonly props: P) {
    super();
  }
  check(value: unknown, path: (string | number)[], issues: ShapeIssue[]): ObjectOf<P> | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      issues.push({ path, message: `expected an object, found ${describe(value)}` });
      return undefined;
    }
    const before = issues.length;
    const out: Record<string, unknown> = {};
    for (const [key, shape] of Object.entries(this.props)) {
      // Unknown keys are ignored: registries add fields, and the spec says clients must tolerate them.
      const v = shape.check((value as Record<string, unknown>)[key], [...path, key], issues);
      if (v !== undefined) out[key] = v;
    }
    return issues.length === before ? (out as ObjectOf<P>) : undefined;
  }
}

class UnknownShape extends Shape<unknown> {
  check(value: unknown): unknown {
    return value;
  }
}

export const shape = {
  string: () => new StringShape(),
  number: () => new NumberShape(),
  unknown: () => new UnknownShape(),
  array: <T>(item: Shape<T>) => new ArrayShape(item),
  object: <P extends Record<string, Shape<unknown>>>(props: P) => new ObjectShape(props),
};

/** "manifests[2].digest: expected a string; …", at most three issues. */
export function describeIssues(issues: ShapeIssue[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path
        .map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`))
        .join("")
        .replace(/^\./, "");
      return `${path === "" ? "the document" : path}: ${issue.message}`;
    })
    .join("; ");
}
