// Query parameters as /api/v1/* reads them: each option parses its raw value (an empty one counts
// as absent) or throws a QueryProblem naming the parameter, which the HTTP side answers with 400.

import { parseDuration } from "../core/text/index.js";

export class QueryProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryProblem";
  }
}

export interface QueryOption<T> {
  /** `raw` is undefined when the parameter is absent or empty; `now` is the request's time. */
  parse(raw: string | undefined, name: string, now: number): T;
}

export type QuerySpec = Record<string, QueryOption<unknown>>;
export type ParsedQuery<Q extends QuerySpec> = { [K in keyof Q]: Q[K] extends QueryOption<infer T> ? T : never };

/** Parses every option of `spec`, in its order: the first bad parameter is the one named. */
export function parseQuery<Q extends QuerySpec>(spec: Q, params: URLSearchParams, now: number): ParsedQuery<Q> {
  const out: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec)) out[name] = option.parse(params.get(name) || undefined, name, now);
  return out as ParsedQuery<Q>;
}

function quoted(raw: string): string {
  return JSON.stringify(raw.slice(0, 40));
}

export function wholeNumber(min: number, max: number, fallback: number): QueryOption<number> {
  return {
    parse(raw, name) {
      if (raw === undefined) return fallback;
      if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
        throw new QueryProblem(`${name}: expected a whole number ${min}..${max}, got ${quoted(raw)}`);
      return Number(raw);
    },
  };
}

export function oneOf<T extends string>(values: readonly T[]): QueryOption<T | undefined> {
  return {
    parse(raw, name) {
      if (raw === undefined) return undefined;
      if (!values.includes(raw as T)) throw new QueryProblem(`${name}: expected one of ${values.join(", ")}, got ${quoted(raw)}`);
      return raw as T;
    },
  };
}

export function text(maxLength: number): QueryOption<string | undefined> {
  return {
    parse(raw, name) {
      if (raw !== undefined && raw.length > maxLength) throw new QueryProblem(`${name}: longer than ${maxLength} characters`);
      return raw;
    },
  };
}

/** "24h" (that long ago), a Unix time in milliseconds, or an ISO 8601 time; ms epoch. */
export function pastTime(): QueryOption<number | undefined> {
  return {
    parse(raw, name, now) {
      if (raw === undefined) return undefined;
      if (/^\d{10,}$/.test(raw)) return Number(raw);
      const d = parseDuration(raw);
      if (d !== undefined) return now - d;
      const t = Date.parse(raw);
      if (Number.isFinite(t)) return t;
      throw new QueryProblem(`${name}: expected a duration (24h), Unix milliseconds or an ISO time, got ${quoted(raw)}`);
    },
  };
}
