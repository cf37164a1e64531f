/**
 * The `rel="next"` target of an RFC 8288 `Link` header, which registries use to page tag lists.
 * The target may be relative (distribution sends `/v2/<name>/tags/list?…`), so it is resolved
 * against the URL of the page that carried it.
 */

export function nextLink(header: string | string[] | undefined, base: URL): URL | "malformed" | undefined {
  if (header === undefined) return undefined;
  const values = Array.isArray(header) ? header : [header];
  for (const value of values) {
    // Each link is "<target>" then ";"-separated params; targets cannot contain ">", params may be quoted.
    const link = /<([^>]*)>((?:\s*;\s*[^;,=\s]+(?:\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,\s]*))?)*)/g;
    for (const match of value.matchAll(link)) {
      const target = match[1] ?? "";
      const params = match[2] ?? "";
      if (!relIncludesNext(params)) continue;
      try {
        return new URL(target, base);
      } catch {
        return "malformed";
      }
    }
    if (/rel\s*=\s*"?[^"]*\bnext\b/i.test(value)) return "malformed";
  }
  return undefined;
}

function relIncludesNext(params: string): boolean {
  for (const match of params.matchAll(/;\s*rel\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,\s]*))/gi)) {
    const rel = (match[1] ?? match[2] ?? "").toLowerCase();
    if (rel.split(/\s+/).includes("next")) return true;
  }
  return false;
}
