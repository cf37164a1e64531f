// The credential values this process has loaded (pull Secrets, docker configs, tokens, header
// values, proxy URLs), remembered so that every output can scrub them: a registry that repeats the
// password it was sent in its error body must not get it printed. Patterns (`Bearer …`, `user:pass@`)
// catch credentials in known shapes; this catches the values themselves, wherever they appear.

/**
 * Shorter values are not scrubbed: a 3-character "secret" would blank out ordinary words in every
 * message, and it is no secret anyway (guessed in a few thousand tries).
 */
const MIN_SECRET_LENGTH = 4;
/** Longer values (a whole .dockerconfigjson) are not remembered; the credentials inside them are. */
const MAX_SECRET_LENGTH = 8192;
/** Forms remembered at most; past it the oldest go first (an agent sees Secrets rotate for months). */
const MAX_FORMS = 20_000;
/** Values are found by their first characters: every form is at least this long. */
const PREFIX = MIN_SECRET_LENGTH;
const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

const forms = new Set<string>();
/** Insertion order, the eviction order: a queue read from `head` (a Set's first entry gets slow to reach after many deletes). */
let order: string[] = [];
let head = 0;
/** First PREFIX characters → the forms starting with them (JWTs share many: all start "eyJ"). */
const byPrefix = new Map<string, Set<string>>();
let environmentRead = false;

/** Remembers a credential value, with the ways it gets written: base64, URL- and JSON-escaped. */
export function rememberSecret(value: string | undefined): void {
  readEnvironmentOnce();
  if (value === undefined || value.length < MIN_SECRET_LENGTH || value.length > MAX_SECRET_LENGTH) return;
  for (const form of encodings(value)) add(form);
}

/** A username and password: the password, and "username:password" as HTTP Basic sends it, in base64. */
export function rememberBasicAuth(username: string | undefined, password: string | undefined): void {
  rememberSecret(password);
  if (password === undefined || password === "") return;
  const pair = `${username ?? ""}:${password}`;
  for (const form of base64Forms(pair)) add(form);
}

/** The user information of a URL (a proxy with credentials), decoded and as written. */
export function rememberUrlCredentials(url: string | undefined): void {
  if (url === undefined) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  if (parsed.password === "") return;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  rememberBasicAuth(decode(parsed.username), decode(parsed.password));
  rememberSecret(parsed.password);
}

/** Every remembered value in `text` replaced by [REDACTED]; one pass, linear in the text's length. */
export function scrubSecrets(text: string): string {
  readEnvironmentOnce();
  if (forms.size === 0 || text.length < PREFIX) return text;
  let out = "";
  let copied = 0;
  for (let i = 0; i <= text.length - PREFIX; ) {
    const found = longestAt(text, i);
    if (found === undefined) {
      i++;
      continue;
    }
    out += `${text.slice(copied, i)}[REDACTED]`;
    i += found.length;
    copied = i;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** For tests: forget every remembered value. */
export function forgetSecrets(): void {
  forms.clear();
  order = [];
  head = 0;
  byPrefix.clear();
}

function encodings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  let url = value;
  try {
    url = encodeURIComponent(value);
  } catch {
    // a lone surrogate: no URL form
  }
  return [value, json, url, ...base64Forms(value)];
}

/** Standard and URL-safe base64, with and without padding. */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const standard = bytes.toString("base64");
  const urlSafe = bytes.toString("base64url");
  return [standard, standard.replace(/=+$/, ""), urlSafe];
}

function longestAt(text: string, at: number): string | undefined {
  const candidates = byPrefix.get(text.slice(at, at + PREFIX));
  if (candidates === undefined) return undefined;
  let found: string | undefined;
  for (const form of candidates) if ((found === undefined || form.length > found.length) && text.startsWith(form, at)) found = form;
  return found;
}

function add(form: string): void {
  if (form.length < PREFIX || forms.has(form)) return;
  forms.add(form);
  const key = form.slice(0, PREFIX);
  const set = byPrefix.get(key) ?? new Set<string>();
  set.add(form);
  byPrefix.set(key, set);
  order.push(form);
  while (forms.size > MAX_FORMS) {
    const oldest = order[head++] ?? "";
    if (head > MAX_FORMS) {
      order = order.slice(head);
      head = 0;
    }
    forms.delete(oldest);
    const same = byPrefix.get(oldest.slice(0, PREFIX));
    same?.delete(oldest);
    if (same?.size === 0) byPrefix.delete(oldest.slice(0, PREFIX));
  }
}

/** Proxy URLs in this process's environment may carry credentials; they are remembered at first use. */
function readEnvironmentOnce(): void {
  if (environmentRead) return;
  environmentRead = true;
  for (const name of PROXY_VARIABLES) rememberUrlCredentials(process.env[name]);
}
