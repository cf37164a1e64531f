/**
 * Pull Secret manifests (YAML or JSON, as `kubectl get secret -o yaml|json` prints them or as
 * written for `kubectl apply`), read the way kubelet uses them (docs/facts/kubelet.md): only type
 * kubernetes.io/dockerconfigjson with key .dockerconfigjson, or kubernetes.io/dockercfg with key
 * .dockercfg. Any other combination kubelet skips without a word, which is exactly what a
 * diagnosis has to say out loud.
 */

import type * as Yaml from "yaml";
import { rememberSecret } from "../../core/log/index.js";
import { lazyModule } from "../../core/process/index.js";

const yaml = lazyModule<typeof Yaml>("yaml");

import {
  CredentialError,
  type DockerConfig,
  decodeGoBase64,
  type Fail,
  type Json,
  type JsonObject,
  jsonType,
  lineAndColumn,
  parseJsonText,
  readDockerConfig,
} from "./dockerconfig.js";

const TYPE_DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson";
const TYPE_DOCKERCFG = "kubernetes.io/dockercfg";
const KEY_DOCKERCONFIGJSON = ".dockerconfigjson";
const KEY_DOCKERCFG = ".dockercfg";
// A Secret holds at most 1 MiB of data; its base64 manifest is about 4/3 of that plus metadata.
const MAX_MANIFEST_CHARS = 4 * 1024 * 1024;
/** The same bound for a manifest file (`--secret`), in bytes, checked before it is read. */
export const SECRET_MANIFEST_MAX_BYTES = MAX_MANIFEST_CHARS;
// YAML aliases can expand exponentially; a Secret has no reason to use more than a few.
// (logLevel "error" below: yaml would otherwise print warnings about odd keys on the agent's stderr.)
const MAX_YAML_ALIASES = 100;

/**
 * Parses a Secret manifest and the credentials in it. `source` names where the text came from
 * (e.g. "--secret ./regcred.yaml"); the resulting DockerConfig's source is
 * `Secret <namespace>/<name>`, followed by `source` in parentheses when one is given and differs.
 */
export function parseSecretManifest(text: string, source?: string): DockerConfig {
  const given = source !== undefined && source !== "" ? source : undefined;
  let where = given ?? "Secret manifest";
  const fail: Fail = (reason) => {
    throw new CredentialError(where, reason);
  };
  if (typeof text !== "string") fail(`expected the manifest text, got ${jsonType(text as Json)}`);
  if (text.length > MAX_MANIFEST_CHARS) fail(`is ${text.length} characters; a Secret manifest is far smaller (Secrets hold at most 1 MiB)`);
  if (text.trim() === "") fail("is empty; expected a Secret manifest (kubectl get secret NAME -o yaml)");

  const root = readManifest(text, fail);
  if (root === null || typeof root !== "object" || Array.isArray(root)) {
    fail(`is not a Kubernetes object: the document is ${jsonType(root)}, expected a mapping with apiVersion, kind and data`);
  }
  const obj = root as JsonObject;
  checkIsSecret(obj, fail);

  const { name, namespace } = readMetadata(obj, fail);
  const secretName = name === undefined ? "(unnamed)" : namespace === undefined ? name : `${namespace}/${name}`;
  const self = `Secret ${secretName}`;
  // From here on, problems are named after the Secret rather than the file it came in.
  where = given === undefined || given === self ? self : `${self} (${given})`;

  const typeValue = obj["type"];
  if (typeValue !== undefined && typeValue !== null && typeof typeValue !== "string") fail(`"type" must be a string, found ${jsonType(typeValue)}`);
  // The API server defaults a missing type to Opaque.
  const type = typeof typeValue === "string" && typeValue !== "" ? typeValue : "Opaque";

  const data = readData(obj, fail);
  const key = pullSecretKey(type, data, fail);
  const content = data.get(key) ?? "";
  if (content === "") fail(`data key ${key} is empty; kubelet finds no credentials in it`);
  const config = readDockerConfig(content, where, type === TYPE_DOCKERCFG, `data key ${key} `);
  config.secretType = type;
  if (name !== undefined) config.secretName = name;
  if (namespace !== undefined) config.secretNamespace = namespace;
  return config;
}

/** kind Secret (not a List of them, nor anything else) and apiVersion v1. */
function checkIsSecret(obj: JsonObject, fail: Fail): void {
  const kind = obj["kind"];
  if (kind === undefined || kind === null) fail('has no "kind"; expected kind: Secret');
  if (typeof kind !== "string") fail(`"kind" must be a string, found ${jsonType(kind)}`);
  if (kind === "List" || kind.endsWith("List")) {
    const items = obj["items"];
    const count = Array.isArray(items) ? ` of ${items.length} item${items.length === 1 ? "" : "s"}` : "";
    fail(`is a ${kind}${count}, not a single Secret; give one Secret (kubectl get secret NAME -o yaml)`);
  }
  if (kind !== "Secret") fail(`is a ${kind}, not a Secret`);
  const apiVersion = obj["apiVersion"];
  if (apiVersion !== "v1") {
    fail(
      apiVersion === undefined ? 'has no "apiVersion"; a Secret is apiVersion: v1' : `has apiVersion ${JSON.stringify(apiVersion)}; a Secret is apiVersion: v1`,
    );
  }
}

function readMetadata(obj: JsonObject, fail: Fail): { name: string | undefined; namespace: string | undefined } {
  const metadata = obj["metadata"];
  if (metadata !== undefined && metadata !== null && (typeof metadata !== "object" || Array.isArray(metadata))) {
    fail(`"metadata" must be a mapping, found ${jsonType(metadata)}`);
  }
  const meta = (metadata ?? {}) as JsonObject;
  const name = optionalString(meta, "name", "metadata.name", fail);
  const namespace = optionalString(meta, "namespace", "metadata.namespace", fail);
  return { name, namespace };
}

/**
 * The data key kubelet reads for a Secret of `type`; fails when kubelet would skip the Secret
 * (a type and key that do not agree, the key missing, or a type that is not a pull Secret).
 */
function pullSecretKey(type: string, data: Map<string, string>, fail: Fail): string {
  const keys = [...data.keys()];
  const keyList = keys.length === 0 ? "no data keys" : `data keys ${keys.map((k) => JSON.stringify(k)).join(", ")}`;
  if (type === TYPE_DOCKERCONFIGJSON || type === TYPE_DOCKERCFG) {
    const key = type === TYPE_DOCKERCONFIGJSON ? KEY_DOCKERCONFIGJSON : KEY_DOCKERCFG;
    const other = type === TYPE_DOCKERCONFIGJSON ? KEY_DOCKERCFG : KEY_DOCKERCONFIGJSON;
    const otherType = type === TYPE_DOCKERCONFIGJSON ? TYPE_DOCKERCFG : TYPE_DOCKERCONFIGJSON;
    if (!data.has(key)) {
      fail(
        data.has(other)
          ? `has type ${type} but key ${other}; kubelet uses a Secret only when type and key agree: ` +
              `type ${type} needs key ${key}, key ${other} needs type ${otherType}`
          : `has type ${type} but no data key ${key} (it has ${keyList}); kubelet finds no credentials in it`,
      );
    }
    return key;
  }
  const present = [KEY_DOCKERCONFIGJSON, KEY_DOCKERCFG].find((k) => data.has(k));
  const fix =
    present === undefined
      ? ` It has ${keyList}.`
      : ` It has key ${present}, so set type: ${present === KEY_DOCKERCONFIGJSON ? TYPE_DOCKERCONFIGJSON : TYPE_DOCKERCFG} ` +
        "(the type of an existing Secret cannot be changed: delete and re-create it, e.g. with kubectl create secret docker-registry).";
  return fail(
    `has type ${JSON.stringify(type)}; kubelet uses only pull Secrets of type ${TYPE_DOCKERCONFIGJSON} ` +
      `(key ${KEY_DOCKERCONFIGJSON}) or ${TYPE_DOCKERCFG} (key ${KEY_DOCKERCFG}) and ignores this one.${fix}`,
  );
}

/** JSON when it looks like JSON (as kubectl decides), YAML otherwise; exactly one document. */
function readManifest(text: string, fail: Fail): Json {
  if (text.trimStart().startsWith("{")) return parseJsonText(text, (reason) => fail(`the manifest ${reason}`));

  let docs: ReturnType<typeof Yaml.parseAllDocuments>;
  try {
    docs = yaml().parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, version: "1.1", logLevel: "error" });
  } catch {
    return fail("is not valid YAML");
  }
  const list = Array.isArray(docs) ? docs : [];
  const withContent = list.filter((d) => d.contents !== null || d.errors.length > 0);
  if (withContent.length === 0) return fail("has no YAML document in it (only comments or separators)");
  if (withContent.length > 1) {
    return fail(`has ${withContent.length} YAML documents; give the one Secret (kubectl get secret NAME -o yaml)`);
  }
  const doc = withContent[0];
  if (doc === undefined) return fail("has no YAML document in it");
  const error = doc.errors[0];
  if (error !== undefined) {
    const { line, column } = lineAndColumn(text, error.pos[0]);
    return fail(`is not valid YAML: ${yamlProblem(error.code)} at line ${line}, column ${column}`);
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as Json;
  } catch {
    return fail(`is not usable YAML: it uses more than ${MAX_YAML_ALIASES} aliases or an alias that cannot be resolved`);
  }
}

/** yaml's messages can quote the document, which may hold a secret; the error code says enough. */
function yamlProblem(code: string): string {
  const known: Record<string, string> = {
    DUPLICATE_KEY: "a key appears twice in one mapping",
    BAD_INDENT: "bad indentation",
    TAB_AS_INDENT: "a tab used for indentation (YAML indents with spaces)",
    MISSING_CHAR: "a closing quote or bracket is missing",
    MULTILINE_IMPLICIT_KEY: 'a key runs over more than one line (a missing ":" or quote?)',
    BLOCK_AS_IMPLICIT_KEY: 'a mapping where a plain value was expected (a missing space after ":"?)',
    UNEXPECTED_TOKEN: "unexpected text",
    BAD_SCALAR_START: "a value starts with a character that YAML reserves (quote it)",
    BAD_ALIAS: "a bad alias",
    BAD_DQ_ESCAPE: "an invalid escape in a double-quoted string",
  };
  return known[code] ?? code.toLowerCase().replaceAll("_", " ");
}

function optionalString(obj: JsonObject, field: string, path: string, fail: Fail): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") return fail(`"${path}" must be a string, found ${jsonType(v)}`);
  return v;
}

/**
 * `data` decoded the way the API server decodes it (Go's padded standard base64), with `stringData`
 * laid over it as the API server does on write.
 */
function readData(obj: JsonObject, fail: Fail): Map<string, string> {
  const out = new Map<string, string>();
  const data = obj["data"];
  if (data !== undefined && data !== null) {
    if (typeof data !== "object" || Array.isArray(data)) fail(`"data" must be a mapping of keys to base64 values, found ${jsonType(data)}`);
    for (const [key, value] of Object.entries(data as JsonObject)) {
      if (value === null) {
        out.set(key, "");
        continue;
      }
      if (typeof value !== "string") fail(`data key ${JSON.stringify(key)} must be a base64 string, found ${jsonType(value)}`);
      const decoded = decodeGoBase64(value as string, true);
      if (typeof decoded === "string") {
        const plain = /^\s*[{[]/.test(value as string) ? "; it looks like plain text: put it under stringData, or base64-encode it" : "";
        fail(`data key ${JSON.stringify(key)} is not valid base64 (${decoded})${plain}`);
      }
      rememberSecret(value as string);
      out.set(key, (decoded as Buffer).toString("utf8"));
    }
  }
  const stringData = obj["stringData"];
  if (stringData !== undefined && stringData !== null) {
    if (typeof stringData !== "object" || Array.isArray(stringData)) fail(`"stringData" must be a mapping of keys to strings, found ${jsonType(stringData)}`);
    for (const [key, value] of Object.entries(stringData as JsonObject)) {
      if (typeof value !== "string") fail(`stringData key ${JSON.stringify(key)} must be a string, found ${jsonType(value)}`);
      out.set(key, value as string);
    }
  }
  return out;
}
