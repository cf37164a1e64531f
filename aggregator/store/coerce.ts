// Coercers: each takes whatever stored JSON holds at a place and gives a value of its type, the
// proto3 default ("", 0, false, [], {}) when it holds nothing of that type. A record's decoder is
// a table of its fields' coercers (record()), so the table and the record's interface cannot drift.

export type Coerce<T> = (v: unknown) => T;

/** One coercer per field of T, no more, no fewer: a field missing or misspelled is a type error. */
export type FieldCoercers<T> = { readonly [K in keyof T]-?: Coerce<T[K]> };

type Loose = Record<string, unknown>;

export const obj: Coerce<Loose> = (v) => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Loose) : {});
export const str: Coerce<string> = (v) => (typeof v === "string" ? v : "");
export const num: Coerce<number> = (v) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
export const bool: Coerce<boolean> = (v) => v === true;

export function listOf<T>(each: Coerce<T>): Coerce<T[]> {
  return (v) => (Array.isArray(v) ? v.map((e: unknown) => each(e)) : []);
}

export const strs: Coerce<string[]> = listOf(str);

/** A map's entries, each value coerced (keys are data, kept as they are). */
export function mapOf<T>(each: Coerce<T>): Coerce<Record<string, T>> {
  return (v) => {
    const out: Record<string, T> = {};
    for (const [k, e] of Object.entries(obj(v))) out[k] = each(e);
    return out;
  };
}

/** A message that may be absent: null unless some object stands there. */
export function orNull<T>(decode: Coerce<T>): Coerce<T | null> {
  return (v) => (v !== null && typeof v === "object" ? decode(v) : null);
}

/** A record with every field of the table, in the table's order, each coerced from the field of that name. */
export function record<T>(fields: FieldCoercers<T>): Coerce<T> {
  const entries = Object.entries(fields) as [string, Coerce<unknown>][];
  return (v) => {
    const o = obj(v);
    const out: Loose = {};
    for (const [name, coerce] of entries) out[name] = coerce(o[name]);
    return out as T;
  };
}
