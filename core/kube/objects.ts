/**
 * Reading and writing single namespaced core/v1 objects by name: what the aggregator needs for its
 * TLS Secret, the ConfigMap that publishes its CA, and the pod behind an agent's token. A missing
 * object is `undefined`, not an error; every other failure is a KubeApiError naming the request.
 */

import { asObject, DecodeError, decodeMeta, expectKind, isPlain, optString, type Plain, stringMap } from "./decode-base.js";
import { KubeApiError, malformedError } from "./errors.js";
import { type KubeHttp, type KubeRequest, showPath } from "./http.js";
import type { ObjectMeta } from "./meta.js";

const OBJECT_RESPONSE_LIMIT = 4 * 1024 * 1024;

/** A Secret or ConfigMap as far as pullmedic reads it: Secret values are base64, as the API serves them. */
export interface DataObject {
  metadata: ObjectMeta;
  data: Record<string, string>;
}

export interface PodPlacement {
  metadata: ObjectMeta;
  nodeName: string | undefined;
}

type DataKind = "secrets" | "configmaps";
const KINDS: Record<DataKind | "pods", string> = { secrets: "Secret", configmaps: "ConfigMap", pods: "Pod" };

function objectPath(kind: DataKind | "pods", namespace: string, name?: string): string {
  for (const [what, value] of [
    ["namespace", namespace],
    ["name", name],
  ] as const) {
    if (value !== undefined && (value === "" || value === "." || value === ".." || value.includes("/"))) {
      throw new KubeApiError({
        verb: "GET",
        path: `(${kind})`,
        status: 0,
        reason: "Invalid",
        detail: `${what} ${JSON.stringify(value)} is not an object name`,
      });
    }
  }
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${kind}`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

function decoded<T>(req: KubeRequest, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof DecodeError) throw malformedError(req.verb, showPath(req.path), 200, err.message);
    throw err;
  }
}

function decodeData(kind: DataKind, value: unknown): DataObject {
  const raw = asObject(value, "");
  expectKind(raw, KINDS[kind], "");
  return { metadata: decodeMeta(raw, ""), data: stringMap(raw.data) ?? {} };
}

async function getOptional(http: KubeHttp, req: KubeRequest): Promise<unknown> {
  try {
    return await http.json(req, OBJECT_RESPONSE_LIMIT);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** The Secret or ConfigMap, or undefined when there is none of that name. */
export async function getDataObject(http: KubeHttp, kind: DataKind, namespace: string, name: string): Promise<DataObject | undefined> {
  const req: KubeRequest = { verb: "GET", path: objectPath(kind, namespace, name) };
  const value = await getOptional(http, req);
  return value === undefined ? undefined : decoded(req, () => decodeData(kind, value));
}

/** Creates it; a name taken meanwhile is a KubeApiError with status 409. */
export async function createDataObject(
  http: KubeHttp,
  kind: DataKind,
  namespace: string,
  object: { metadata: ObjectMeta; data: Record<string, string>; type?: string },
): Promise<DataObject> {
  const body: Plain = { apiVersion: "v1", kind: KINDS[kind], ...object, metadata: { ...object.metadata, namespace } };
  const req: KubeRequest = { verb: "POST", path: objectPath(kind, namespace), body: JSON.stringify(body), contentType: "application/json" };
  const value = await http.json(req, OBJECT_RESPONSE_LIMIT);
  return decoded(req, () => decodeData(kind, value));
}

/**
 * Replaces the listed data keys with a JSON merge patch. With `resourceVersion` the write happens
 * only if nobody changed the object since it was read (409 Conflict otherwise).
 */
export async function patchData(
  http: KubeHttp,
  kind: DataKind,
  namespace: string,
  name: string,
  data: Record<string, string>,
  resourceVersion?: string,
): Promise<DataObject> {
  const patch: Plain = { data };
  if (resourceVersion !== undefined) patch.metadata = { resourceVersion };
  const req: KubeRequest = {
    verb: "PATCH",
    path: objectPath(kind, namespace, name),
    body: JSON.stringify(patch),
    contentType: "application/merge-patch+json",
  };
  const value = await http.json(req, OBJECT_RESPONSE_LIMIT);
  return decoded(req, () => decodeData(kind, value));
}

/** Where a pod runs (spec.nodeName), or undefined when there is no such pod. */
export async function getPodPlacement(http: KubeHttp, namespace: string, name: string): Promise<PodPlacement | undefined> {
  const req: KubeRequest = { verb: "GET", path: objectPath("pods", namespace, name) };
  const value = await getOptional(http, req);
  if (value === undefined) return undefined;
  return decoded(req, () => {
    const raw = asObject(value, "");
    expectKind(raw, "Pod", "");
    const spec = isPlain(raw.spec) ? raw.spec : {};
    return { metadata: decodeMeta(raw, ""), nodeName: optString(spec, "nodeName") || undefined };
  });
}
