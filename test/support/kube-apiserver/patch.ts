// The two patch kinds the stand-in applies: JSON merge patch (RFC 7386) and strategic merge
// patch, with merge keys for the lists the agent touches and the directives kubelet sends.

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** RFC 7386: objects merge key by key, null removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Obj = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Lists merged item by item, by the named key, as the core/v1 types declare (patchMergeKey). */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  "status.conditions": "type",
  "status.addresses": "type",
  "metadata.ownerReferences": "uid",
};

const ORDER = "$setElementOrder/";
const DELETE_PRIMITIVES = "$deleteFromPrimitiveList/";

/**
 * Strategic merge patch: like a merge patch, except that lists with a merge key merge item by
 * item (an item with `$patch: delete` removes its match), `$patch: replace` replaces a map,
 * `$retainKeys` keeps only the keys it names, and `$setElementOrder/<list>` orders a merged list.
 */
export function strategicMergePatch(target: unknown, patch: unknown, mergeKeys = MERGE_KEYS, path = ""): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const directive = patch.$patch;
  const plain: Obj = {};
  for (const [k, v] of Object.entries(patch)) if (!k.startsWith("$")) plain[k] = v;
  if (directive === "replace") return stripDirectives(plain);
  if (directive === "delete") return undefined;

  let result: Obj = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(plain)) {
    const child = path === "" ? key : `${path}.${key}`;
    if (value === null) {
      delete result[key];
      continue;
    }
    const mergeKey = mergeKeys[child];
    if (Array.isArray(value) && mergeKey !== undefined) {
      result[key] = mergeList(Array.isArray(result[key]) ? (result[key] as unknown[]) : [], value, mergeKey, mergeKeys, child);
    } else {
      const merged = strategicMergePatch(result[key], value, mergeKeys, child);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(DELETE_PRIMITIVES) && Array.isArray(v)) {
      const field = k.slice(DELETE_PRIMITIVES.length);
      const list = result[field];
      if (Array.isArray(list)) result[field] = list.filter((x) => !v.includes(x));
    }
    if (k.startsWith(ORDER) && Array.isArray(v)) {
      const field = k.slice(ORDER.length);
      const mergeKey = mergeKeys[path === "" ? field : `${path}.${field}`];
      const list = result[field];
      if (mergeKey !== undefined && Array.isArray(list)) result[field] = orderList(list, v, mergeKey);
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys.filter((k): k is string => typeof k === "string"));
    result = Object.fromEntries(Object.entries(result).filter(([k]) => keep.has(k)));
  }
  return result;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => !k.startsWith("$"))
      .map(([k, x]) => [k, stripDirectives(x)]),
  );
}

function mergeList(target: unknown[], patch: unknown[], mergeKey: string, mergeKeys: Readonly<Record<string, string>>, path: string): unknown[] {
  if (patch.some((item) => isObject(item) && item.$patch === "replace")) {
    return patch.filter((item) => !(isObject(item) && item.$patch === "replace")).map(stripDirectives);
  }
  const result = [...target];
  for (const item of patch) {
    if (!isObject(item) || !(mergeKey in item)) {
      result.push(stripDirectives(item));
      continue;
    }
    const at = result.findIndex((t) => isObject(t) && t[mergeKey] === item[mergeKey]);
    if (item.$patch === "delete") {
      if (at >= 0) result.splice(at, 1);
    } else if (at >= 0) {
      result[at] = strategicMergePatch(result[at], item, mergeKeys, path);
    } else {
      result.push(stripDirectives(item));
    }
  }
  return result;
}

function orderList(list: unknown[], order: unknown[], mergeKey: string): unknown[] {
  const rank = new Map<unknown, number>();
  order.forEach((o, i) => {
    if (isObject(o)) rank.set(o[mergeKey], i);
  });
  const keyOf = (x: unknown) => (isObject(x) ? rank.get(x[mergeKey]) : undefined) ?? Number.MAX_SAFE_INTEGER;
  return list
    .map((x, i) => ({ x, i }))
    .sort((a, b) => keyOf(a.x) - keyOf(b.x) || a.i - b.i)
    .map(({ x }) => x);
}
