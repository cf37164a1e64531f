/**
 * Docker Hub's quota headers read field by field, with what could not be read named instead of
 * thrown away. The registry client's parser answers all or nothing (a RateLimit or undefined),
 * which is right for noting quota on a pull but cannot tell "no headers: unlimited" from
 * "headers we cannot read"; a quota check has to say which.
 *
 * Reading agrees with the registry client's wherever both read a value: the first member of a
 * list, the first of repeated headers, `w=` from the limit before the remaining count.
 */

/** Header values by lowercased name, every occurrence in the order received. */
export type HeaderLists = Map<string, string[]>;

export interface QuotaHeaders {
  limit: number | undefined;
  remaining: number | undefined;
  windowSeconds: number | undefined;
  source: string | undefined;
  /** Neither count header has a value: Hub did not count this request (paid account or unlimited source). */
  unlimited: boolean;
  /** What was unreadable or contradictory, in words; empty when all is well. */
  problems: string[];
}

const LIMIT = "ratelimit-limit";
const REMAINING = "ratelimit-remaining";
const SOURCE = "docker-ratelimit-source";
// Longer than any IPv6 prefix or account id; a longer value is a server bug, not a name to print.
const MAX_SOURCE_LENGTH = 100;

export function readQuotaHeaders(headers: HeaderLists): QuotaHeaders {
  const problems: string[] = [];
  const limit = readCount(LIMIT, headers.get(LIMIT) ?? [], problems);
  const remaining = readCount(REMAINING, headers.get(REMAINING) ?? [], problems);
  const source = readSource(headers.get(SOURCE) ?? [], problems);
  const unlimited = limit === "absent" && remaining === "absent";
  if (!unlimited) {
    if (limit === "absent") problems.push(`${REMAINING} is present but ${LIMIT} is missing`);
    if (remaining === "absent") problems.push(`${LIMIT} is present but ${REMAINING} is missing`);
  }
  const l = limit === "absent" ? undefined : limit;
  const r = remaining === "absent" ? undefined : remaining;
  if (l?.count !== undefined && r?.count !== undefined && r.count > l.count) {
    problems.push(`${REMAINING} (${r.count}) is more than ${LIMIT} (${l.count})`);
  }
  if (l?.windowSeconds !== undefined && r?.windowSeconds !== undefined && l.windowSeconds !== r.windowSeconds) {
    problems.push(`${LIMIT} gives a ${l.windowSeconds} s window and ${REMAINING} a ${r.windowSeconds} s one; the limit's is used`);
  }
  return {
    limit: l?.count,
    remaining: r?.count,
    windowSeconds: l?.windowSeconds ?? r?.windowSeconds,
    source,
    unlimited,
    problems,
  };
}

interface Count {
  count: number | undefined;
  windowSeconds: number | undefined;
}

/** `<count>[;w=<seconds>][;other=params]`; "absent" when no occurrence has a value. */
function readCount(name: string, values: string[], problems: string[]): Count | "absent" {
  const members = values
    .flatMap((v) => v.split(","))
    .map((m) => m.trim())
    .filter((m) => m !== "");
  const first = members[0];
  if (first === undefined) return "absent";
  const distinct = [...new Set(members)];
  if (distinct.length > 1) problems.push(`${name} has ${distinct.length} different values (${distinct.map(quote).join(", ")}); the first is read`);

  const [countPart = "", ...params] = first.split(";");
  const count = wholeNumber(countPart);
  if (count === undefined) problems.push(`${name} ${quote(first)}: ${quote(countPart.trim())} is not a whole number of pulls`);

  let windowSeconds: number | undefined;
  const windowParam = params.map((p) => p.trim()).find((p) => /^w\s*=/i.test(p));
  if (windowParam !== undefined) {
    const raw = windowParam.slice(windowParam.indexOf("=") + 1).trim();
    windowSeconds = wholeNumber(raw);
    if (windowSeconds === 0) windowSeconds = undefined;
    if (windowSeconds === undefined) problems.push(`${name} ${quote(first)}: window w=${quote(raw)} is not a whole number of seconds above 0`);
  }
  return { count, windowSeconds };
}

function readSource(values: string[], problems: string[]): string | undefined {
  const given = values.map((v) => v.trim()).filter((v) => v !== "");
  const first = given[0];
  if (first === undefined) return undefined;
  const distinct = [...new Set(given)];
  if (distinct.length > 1) problems.push(`${SOURCE} has ${distinct.length} different values (${distinct.map(quote).join(", ")}); the first is read`);
  if (first.length > MAX_SOURCE_LENGTH || /[^\x21-\x7e]/.test(first)) {
    problems.push(`${SOURCE} ${quote(first)} is not an address or account id`);
    return undefined;
  }
  return first;
}

function wholeNumber(raw: string): number | undefined {
  const text = raw.trim();
  // 15 digits stay exact in a double; a larger "count" is garbage, not a quota.
  return /^[0-9]{1,15}$/.test(text) ? Number(text) : undefined;
}

function quote(s: string): string {
  return JSON.stringify(s.length <= 60 ? s : `${s.slice(0, 57)}…`);
}
