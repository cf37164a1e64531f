/**
 * Reading `.dockerconfigjson` / `.dockercfg` credentials the way kubelet reads them
 * (kubernetes/kubernetes pkg/credentialprovider/config.go and keyring.go, docs/facts/kubelet.md),
 * so that what pullmedic says about a pull Secret is what kubelet will do with it.
 *
 * Secret values never reach a message: errors name the key and the position of the problem only.
 */

import { Buffer } from "node:buffer";
import { readTextFile } from "../../core/fs/index.js";
import { DOCKER_HUB_API_HOST, DOCKER_HUB_AUTH_SERVER } from "../../core/image/index.js";
import { rememberBasicAuth, rememberSecret } from "../../core/log/index.js";
import { describeChar, locateJsonError } from "./json-locate.js";
import { normalizeRegistryAuthKey } from "./keyring.js";

export interface RegistryAuthEntry {
  /** The auths key as written in the file. */
  rawKey: string;
  /** Normalized as kubelet does: scheme dropped, /v1/ or /v2/ path dropped: "index.docker.io", "reg.io:5000", "reg.io/team". */
  key: string;
  username: string | undefined;
  password: string | undefined;
  identityToken: string | undefined;
  registryToken: string | undefined;
  /** Where it came from, e.g. `Secret shop/regcred` or `--docker-config ./cfg.json`; never the secret. */
  source: string;
  /**
   * The entry carries identitytoken or registrytoken. kubelet builds the runtime's AuthConfig from
   * username/password only (keyring.go), so these tokens never reach containerd from a pull Secret
   * or a node config.json: an entry with only a token is, for the pull, no credential at all.
   */
  tokensIgnored?: boolean;
  /**
   * Set when kubelet cannot parse the key as a URL; it logs and skips the entry, so it never
   * matches any image. `matchCredentials` skips it too.
   */
  keyProblem?: string;
  /** What a person should know about this entry, in words; never contains a secret value. */
  notes?: string[];
}

export interface DockerConfig {
  source: string;
  entries: RegistryAuthEntry[];
  /** File-level remarks (credsStore/credHelpers, empty auths); never contains a secret value. */
  notes?: string[];
  /** From a Secret manifest: metadata.name, metadata.namespace and type. */
  secretName?: string;
  secretNamespace?: string;
  secretType?: string;
}

export interface ParseDockerConfigOptions {
  /** The legacy `.dockercfg` shape: the auths map itself, without the {"auths": …} wrapper. */
  legacy?: boolean;
}

/**
 * A credential file or Secret that kubelet would reject or silently not use. Always the cause
 * `secret-invalid`. `reason` is the problem alone; `message` prefixes the source.
 */
export class CredentialError extends Error {
  readonly source: string;
  readonly reason: string;

  constructor(source: string, reason: string) {
    super(`${source}: ${reason}`);
    this.name = "CredentialError";
    this.source = source;
    this.reason = reason;
  }
}

/** Docker Hub's key as `docker login` writes it; kubelet keeps it as "index.docker.io". */
const DOCKER_HUB_LEGACY_KEY = DOCKER_HUB_AUTH_SERVER;
// Node-level files and Secrets larger than this are not credentials; parsing them only costs time.
const MAX_CONFIG_CHARS = 4 * 1024 * 1024;
/** The same bound for the file, in bytes, checked before it is read (a docker config is a few KB). */
export const DOCKER_CONFIG_MAX_BYTES = MAX_CONFIG_CHARS;

/** A docker config file (`--docker-config`, `dockerConfig`): a bounded regular file, never a wait without end (core/fs). */
export function readDockerConfigFile(path: string): Promise<string> {
  return readTextFile(path, { maxBytes: DOCKER_CONFIG_MAX_BYTES });
}

export type Fail = (reason: string) => never;
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface JsonObject {
  [key: string]: Json;
}

/**
 * Parses a `.dockerconfigjson` text ({"auths": {…}}), or with `{ legacy: true }` a `.dockercfg`
 * text (the auths map itself). Throws `CredentialError` where kubelet would fail the pull and also
 * where kubelet would silently find no credentials because of a format mistake (no "auths").
 */
export function parseDockerConfigJson(text: string, source: string, options: ParseDockerConfigOptions = {}): DockerConfig {
  return readDockerConfig(text, source, options.legacy === true, "");
}

/** `where` prefixes reasons when the JSON sits inside something else, e.g. a Secret data key. */
export function readDockerConfig(text: string, source: string, legacy: boolean, where: string): DockerConfig {
  const fail: Fail = (reason) => {
    // "data key .dockerconfigjson is not valid JSON" but "data key .dockerconfigjson: auths[…] …".
    const joined = where === "" ? reason : /^(is|has|must|starts)\b/.test(reason) ? where + reason : `${where.trimEnd()}: ${reason}`;
    throw new CredentialError(source, joined);
  };
  checkConfigText(text, legacy, fail);
  const root = parseJsonText(text, fail);
  if (root === null || typeof root !== "object" || Array.isArray(root)) {
    fail(`must be a JSON object, found ${jsonType(root)}`);
  }
  const top = root as JsonObject;
  const notes: string[] = [];
  const auths = legacy ? legacyAuths(top, fail) : wrappedAuths(top, notes, fail);

  const entries: RegistryAuthEntry[] = [];
  const path = legacy ? "" : "auths";
  for (const [rawKey, value] of Object.entries(auths)) {
    entries.push(readEntry(rawKey, value, path, source, fail));
  }
  if (entries.length === 0) {
    notes.push(`${legacy ? "the file" : '"auths"'} has no registry entries, so kubelet sends no credentials from it`);
  }
  return { source, entries, notes };
}

/** What can be said of the text before parsing it: its type, size, emptiness and a byte order mark. */
function checkConfigText(text: string, legacy: boolean, fail: Fail): void {
  const format = legacy ? ".dockercfg" : ".dockerconfigjson";
  if (typeof text !== "string") fail(`expected the ${format} text, got ${jsonType(text as Json)}`);
  if (text.length > MAX_CONFIG_CHARS) {
    fail(`is ${text.length} characters; a credential file is far smaller (Secrets are limited to 1 MiB)`);
  }
  if (text.trim() === "")
    fail(
      `is empty; expected ${legacy ? 'a JSON object such as {"registry.example.com": {"auth": "…"}}' : 'JSON such as {"auths": {"registry.example.com": {"auth": "…"}}}'}`,
    );
  if (text.startsWith("\uFEFF")) fail("starts with a byte order mark (U+FEFF); kubelet's JSON parser rejects it, save the file without BOM");
}

/** `.dockercfg`: the top level is the auths map; an "auths" wrapper there is the other format. */
function legacyAuths(top: JsonObject, fail: Fail): JsonObject {
  const wrapped = pickField(top, "auths");
  if (wrapped !== undefined && isObject(wrapped.value) && Object.values(wrapped.value).some(isObject)) {
    fail(
      `has an "auths" wrapper, which is the .dockerconfigjson format; kubelet would read "auths" as a registry ` +
        `name and find no credentials. Use type kubernetes.io/dockerconfigjson with key .dockerconfigjson, ` +
        `or remove the wrapper`,
    );
  }
  return top;
}

/** `.dockerconfigjson`: the auths map under "auths" (null counts as empty), with HttpHeaders checked as Go decodes them. */
function wrappedAuths(top: JsonObject, notes: string[], fail: Fail): JsonObject {
  const field = pickField(top, "auths");
  describeHelpers(top, notes);
  if (field === undefined) return fail(missingAuthsReason(top));
  const value = field.value;
  if (value !== null && !isObject(value)) fail(`"${field.key}" must be an object of registry entries, found ${jsonType(value)}`);
  const headers = pickField(top, "HttpHeaders");
  // Go decodes HttpHeaders into map[string]string; anything else fails the whole Secret.
  if (headers !== undefined && headers.value !== null) {
    if (!isObject(headers.value)) fail(`"${headers.key}" must be an object of strings, found ${jsonType(headers.value)}`);
    for (const [name, v] of Object.entries(headers.value)) {
      if (typeof v !== "string" && v !== null) fail(`"${headers.key}".${quote(name)} must be a string, found ${jsonType(v)}`);
    }
  }
  return value === null ? {} : value;
}

/** Why a `.dockerconfigjson` without "auths" gives kubelet nothing, naming what the file holds instead. */
function missingAuthsReason(top: JsonObject): string {
  const registryLike = Object.keys(top).filter((k) => isObject(top[k]) && looksLikeRegistryKey(k));
  if (registryLike.length > 0) {
    return (
      `has no "auths" object but registry keys at the top level (${registryLike.slice(0, 3).map(quote).join(", ")}); ` +
      `that is the legacy .dockercfg format. kubelet finds no credentials in it. Wrap them as {"auths": {…}} ` +
      `or use type kubernetes.io/dockercfg with key .dockercfg`
    );
  }
  const helpers = ["credsStore", "credHelpers"].filter((k) => pickField(top, k) !== undefined);
  if (helpers.length > 0) {
    return (
      `has no "auths" object, only ${helpers.join(" and ")}; kubelet does not run Docker credential helpers, ` +
      `so it finds no credentials. Put the credentials in "auths" (e.g. kubectl create secret docker-registry)`
    );
  }
  return `has no "auths" object, so kubelet finds no credentials in it; expected {"auths": {"registry.example.com": {"auth": "…"}}}`;
}

function readEntry(rawKey: string, value: Json, path: string, source: string, fail: Fail): RegistryAuthEntry {
  const at = path === "" ? quote(rawKey) : `${path}[${quote(rawKey)}]`;
  const normalized = normalizeRegistryAuthKey(rawKey);
  const notes: string[] = [];
  const entry: RegistryAuthEntry = {
    rawKey,
    key: normalized.key,
    username: undefined,
    password: undefined,
    identityToken: undefined,
    registryToken: undefined,
    source,
    tokensIgnored: false,
    notes,
  };
  if (normalized.problem !== undefined) {
    entry.keyProblem = normalized.problem;
    notes.push(`kubelet cannot parse this key as a registry address (${normalized.problem}) and skips the entry`);
  }
  if (normalized.problem === undefined && /[?#]/.test(rawKey)) {
    notes.push(`kubelet parses the key as a URL, where "?" or "#" ends the host and path, so it becomes ${quote(normalized.key)}`);
  }
  if (value === null) {
    // Go leaves a null entry as zero values; kubelet keeps it as a credential with nothing in it.
    notes.push("the entry is null: no credentials for this key");
    return entry;
  }
  if (!isObject(value)) {
    fail(`${at} must be an object such as {"auth": "…"} or {"username": "…", "password": "…"}, found ${jsonType(value)}`);
  }
  readEntryFields(value as JsonObject, at, entry, notes, fail);
  judgeEntry(entry, notes);
  return entry;
}

/** The entry's credential fields into `entry`, with kubelet's precedence: a decoded "auth" wins over username/password. */
function readEntryFields(obj: JsonObject, at: string, entry: RegistryAuthEntry, notes: string[], fail: Fail): void {
  // Go's encoding/json fails the whole document when one of these is not a string.
  const stringField = (name: string): string | undefined => {
    const f = pickField(obj, name);
    if (f === undefined || f.value === null) return undefined;
    if (typeof f.value !== "string") fail(`${at}.${f.key} must be a string, found ${jsonType(f.value)}`);
    return f.value as string;
  };
  entry.username = stringField("username");
  entry.password = stringField("password");
  stringField("email");
  const auth = stringField("auth");

  // kubelet's struct has no token fields, so a non-string token is ignored rather than fatal.
  const tokenField = (name: string): string | undefined => {
    const f = pickField(obj, name);
    if (f === undefined || f.value === null) return undefined;
    if (typeof f.value !== "string") {
      notes.push(`${f.key} is ${jsonType(f.value)}, not a string; ignored`);
      return undefined;
    }
    return f.value === "" ? undefined : f.value;
  };
  entry.identityToken = tokenField("identitytoken");
  entry.registryToken = tokenField("registrytoken");

  if (auth !== undefined && auth !== "") {
    const decoded = decodeAuthField(auth);
    if (typeof decoded === "string") fail(`${at}.auth ${decoded}`);
    const { username, password } = decoded as { username: string; password: string };
    if ((entry.username !== undefined && entry.username !== username) || (entry.password !== undefined && entry.password !== password)) {
      notes.push("auth and username/password are both set and differ; kubelet uses the ones decoded from auth");
    }
    entry.username = username;
    entry.password = password;
  }
  // Every output scrubs these from now on: a registry may repeat what it was sent (core/log).
  rememberBasicAuth(entry.username, entry.password);
  for (const secret of [auth, entry.identityToken, entry.registryToken]) rememberSecret(secret);
}

/** What kubelet will and will not send from a read entry: ignored tokens, no credentials, a key it never matches. */
function judgeEntry(entry: RegistryAuthEntry, notes: string[]): void {
  const tokens = [entry.identityToken && "identitytoken", entry.registryToken && "registrytoken"].filter(Boolean);
  if (tokens.length > 0) {
    entry.tokensIgnored = true;
    notes.push(
      `${tokens.join(" and ")} ${tokens.length > 1 ? "are" : "is"} ignored by kubelet in pull Secrets and node config files: ` +
        "only username/password reach the container runtime",
    );
  }
  if (!entry.username && !entry.password) {
    notes.push(
      tokens.length > 0
        ? "no username/password or auth besides the ignored token, so kubelet sends no credentials for this key"
        : "no username/password or auth, so kubelet sends no credentials for this key",
    );
  }
  if (entry.key === DOCKER_HUB_API_HOST) {
    notes.push('kubelet does not match "registry-1.docker.io" to Docker Hub images; use "docker.io" or "https://index.docker.io/v1/"');
  }
}

/** Returns the decoded pair or a reason (worded to follow "auths[…].auth"). Never includes the value. */
function decodeAuthField(field: string): { username: string; password: string } | string {
  // kubelet (config.go) picks padded decoding when the value ends in "=", unpadded otherwise.
  const padded = field.trim().endsWith("=");
  const bytes = decodeGoBase64(field, padded);
  if (typeof bytes === "string") return `is not valid base64 (${bytes}); it must be base64 of "username:password"`;
  const text = bytes.toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return 'does not decode to "username:password" (there is no ":" in it; a bare token belongs in "password" with a "username")';
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

const BASE64_ALPHABET = /^[A-Za-z0-9+/]$/;

/**
 * Go's base64.StdEncoding (padded) or RawStdEncoding (unpadded) decoding, which is stricter than
 * Node's Buffer.from(…, "base64"): no URL-safe alphabet, no spaces, padding only where it belongs.
 * Like Go, "\r" and "\n" are skipped. Returns the bytes or the problem with its character position.
 */
export function decodeGoBase64(input: string, padded: boolean): Buffer | string {
  const clean: string[] = [];
  const positions: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input[i] ?? "";
    if (c === "\r" || c === "\n") continue;
    clean.push(c);
    positions.push(i + 1);
  }
  const at = (k: number) => `character ${positions[k] ?? input.length + 1}`;
  const firstPad = clean.indexOf("=");
  const dataLength = firstPad < 0 ? clean.length : firstPad;
  for (let k = 0; k < dataLength; k++) {
    const c = clean[k] ?? "";
    if (!BASE64_ALPHABET.test(c)) {
      const what = c === "-" || c === "_" ? `${JSON.stringify(c)} (URL-safe base64 is not accepted)` : describeChar(c);
      return `${what} at ${at(k)}`;
    }
  }
  if (firstPad >= 0) {
    if (!padded) return `"=" at ${at(firstPad)}`;
    const pad = clean.length - firstPad;
    const rem = firstPad % 4;
    if (clean.slice(firstPad).some((c) => c !== "=")) {
      const k = clean.findIndex((c, idx) => idx > firstPad && c !== "=");
      return `${describeChar(clean[k] ?? "")} after the "=" padding at ${at(k)}`;
    }
    if (rem < 2 || pad !== 4 - rem) return `wrong "=" padding at ${at(firstPad)}`;
  } else {
    const rem = clean.length % 4;
    if (padded && rem !== 0) return `it ends after ${clean.length} characters without the "=" padding`;
    if (rem === 1) return `its length (${clean.length} characters) cannot be base64`;
  }
  return Buffer.from(clean.join(""), "base64");
}

/**
 * JSON.parse, with a syntax error turned into a position and a reason. V8's own message quotes the
 * input around the error, which may be a password, so it is never used.
 */
export function parseJsonText(text: string, fail: Fail): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    const problem = locateJsonError(text);
    if (problem === undefined) fail("is not valid JSON (nested too deeply to parse)");
    const { line, column } = lineAndColumn(text, problem.offset);
    return fail(`is not valid JSON: ${problem.reason} at line ${line}, column ${column}`);
  }
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Go's encoding/json matches object keys to struct fields case-insensitively, and the last
 * matching key wins; kubelet therefore accepts "Auths" or "Username" as well.
 */
function pickField(obj: JsonObject, name: string): { key: string; value: Json } | undefined {
  let found: { key: string; value: Json } | undefined;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(obj)) {
    if (key === name || key.toLowerCase() === lower) found = { key, value };
  }
  return found;
}

function describeHelpers(top: JsonObject, notes: string[]): void {
  for (const name of ["credsStore", "credHelpers"]) {
    if (pickField(top, name) !== undefined) {
      notes.push(`${name} is a Docker CLI feature; kubelet does not run credential helpers and uses only "auths"`);
    }
  }
}

function looksLikeRegistryKey(key: string): boolean {
  return key === DOCKER_HUB_LEGACY_KEY || /^https?:\/\//.test(key) || /^[^\s/]+[.:][^\s]*$/.test(key) || key === "localhost";
}

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function jsonType(v: Json | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

function quote(s: string): string {
  return JSON.stringify(s.length <= 80 ? s : `${s.slice(0, 50)}…${s.slice(-20)}`);
}

/**
 * One line for evidence and logs: `key "reg.io" from Secret shop/regcred, user "robot"`.
 * Never the password or a token; only whether one is there.
 */
export function describeCredential(entry: RegistryAuthEntry): string {
  const key = entry.key === entry.rawKey ? quote(entry.key) : `${quote(entry.key)} (written ${quote(entry.rawKey)})`;
  let who: string;
  if (entry.username !== undefined && entry.username !== "") {
    who = `user ${quote(entry.username)}`;
    if (entry.password === undefined || entry.password === "") who += " with an empty password";
  } else if (entry.password !== undefined && entry.password !== "") {
    who = "no username, a password only";
  } else {
    who = "no username or password";
  }
  const tokens = [entry.identityToken !== undefined && "identitytoken", entry.registryToken !== undefined && "registrytoken"].filter(Boolean);
  if (tokens.length > 0) who += `, ${tokens.join(" and ")} (ignored by kubelet)`;
  return `key ${key} from ${entry.source}, ${who}`;
}
