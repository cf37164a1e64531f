// A page of a view's list: what one answer may carry. Every list the API serves is paged, so no
// answer grows with the cluster: `limit` (a default and a maximum per view) and `continue`, the
// opaque token the previous page gave; `total` says how many there are in all. A page is cut from
// the list as it is when asked: a list that changed between two pages may repeat or skip an entry,
// as a live view does.

import { type QueryOption, QueryProblem, wholeNumber } from "../query.js";

export interface Page<T> {
  items: T[];
  total: number;
  /** The token for the next page; absent on the last one. */
  continue?: string;
}

/** A position in a list, as the API hands it out: opaque to clients, checked when it comes back. */
export function encodeToken(position: Record<string, number>): string {
  return Buffer.from(JSON.stringify(position), "utf8").toString("base64url");
}

/** The position a token holds, with `keys` whole numbers ≥ 0; throws a QueryProblem naming `name` otherwise. */
export function decodeToken(raw: string, name: string, keys: readonly string[]): Record<string, number> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  const o = value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  if (o === undefined || !keys.every((k) => Number.isSafeInteger(o[k]) && (o[k] as number) >= 0)) {
    throw new QueryProblem(`${name}: ${JSON.stringify(raw.slice(0, 40))} is not a token this aggregator gave; ask again without it for the first page`);
  }
  return Object.fromEntries(keys.map((k) => [k, o[k] as number]));
}

/** `continue`: where the page starts in the list (0 when absent). */
function offsetToken(): QueryOption<number> {
  return { parse: (raw, name) => (raw === undefined ? 0 : (decodeToken(raw, name, ["o"])["o"] ?? 0)) };
}

/** The query options of a paged list: limit (default, max) and continue. */
export function pageQuery(defaultLimit: number, maxLimit: number): { limit: QueryOption<number>; continue: QueryOption<number> } {
  return { limit: wholeNumber(1, maxLimit, defaultLimit), continue: offsetToken() };
}

/** `limit` entries of `all` from `offset`, with the token of the next page when there is one. */
export function pageOf<T>(all: readonly T[], limit: number, offset: number): Page<T> {
  const items = all.slice(offset, offset + limit);
  const end = offset + items.length;
  return end < all.length ? { items, total: all.length, continue: encodeToken({ o: end }) } : { items, total: all.length };
}

/** The fields a paged answer adds beside its list. */
export function pageFields<T>(p: Page<T>): { total: number; continue?: string } {
  return p.continue === undefined ? { total: p.total } : { total: p.total, continue: p.continue };
}
