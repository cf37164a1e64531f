// A tiny registry client that only pushes: enough of the distribution API to put
// built images into the lab registry without skopeo or docker.

import { type BuiltImage, type BuiltIndex, MEDIA_TYPES } from "./image.js";
import type { Credentials } from "./registry.js";

export interface PushTarget {
  url: string; // http://127.0.0.1:PORT
  host: string; // 127.0.0.1:PORT
  auth: Credentials | undefined;
}

function splitRepoAndTag(repoAndTag: string): { name: string; tag: string } {
  const colon = repoAndTag.lastIndexOf(":");
  if (colon <= repoAndTag.lastIndexOf("/") || colon === repoAndTag.length - 1) {
    throw new Error(`push: "${repoAndTag}" needs a tag, like "app/web:1.0"`);
  }
  return { name: repoAndTag.slice(0, colon), tag: repoAndTag.slice(colon + 1) };
}

export async function push(target: PushTarget, image: BuiltImage | BuiltIndex, repoAndTag: string): Promise<{ ref: string; digest: string }> {
  const { name, tag } = splitRepoAndTag(repoAndTag);
  const client = new PushClient(target, name);
  if (image.kind === "image") {
    await client.pushImage(image, tag);
    return { ref: `${target.host}/${name}:${tag}`, digest: image.manifestDigest };
  }
  // The registry rejects an index whose children it does not have, so children go first, by digest.
  for (const child of image.images) await client.pushImage(child, child.manifestDigest);
  await client.putManifest(tag, MEDIA_TYPES.index, image.index, image.digest);
  return { ref: `${target.host}/${name}:${tag}`, digest: image.digest };
}

class PushClient {
  constructor(
    private readonly target: PushTarget,
    private readonly name: string,
  ) {}

  async pushImage(image: BuiltImage, reference: string): Promise<void> {
    for (const layer of image.layers) await this.pushBlob(layer.data, layer.digest);
    await this.pushBlob(image.config, image.configDigest);
    await this.putManifest(reference, MEDIA_TYPES.manifest, image.manifest, image.manifestDigest);
  }

  async putManifest(reference: string, mediaType: string, body: Buffer, digest: string): Promise<void> {
    const response = await this.request("PUT", `/v2/${this.name}/manifests/${reference}`, { "Content-Type": mediaType }, body);
    await expectStatus(response, 201, `PUT manifest ${this.name}:${reference}`);
    const stored = response.headers.get("docker-content-digest");
    if (stored !== null && stored !== digest) {
      throw new Error(`push: registry stored manifest ${this.name}:${reference} as ${stored}, expected ${digest}`);
    }
  }

  private async pushBlob(data: Buffer, digest: string): Promise<void> {
    const head = await this.request("HEAD", `/v2/${this.name}/blobs/${digest}`);
    if (head.status === 200) return;
    if (head.status !== 404) await expectStatus(head, 404, `HEAD blob ${digest}`);

    const start = await this.request("POST", `/v2/${this.name}/blobs/uploads/`);
    await expectStatus(start, 202, `start upload to ${this.name}`);
    const location = start.headers.get("location");
    if (!location) throw new Error(`push: registry gave no Location for the upload to ${this.name}`);
    // Location may be relative and already carries query state; the digest joins it.
    const uploadUrl = new URL(location, this.target.url);
    uploadUrl.searchParams.set("digest", digest);
    const put = await this.request("PUT", uploadUrl.pathname + uploadUrl.search, { "Content-Type": "application/octet-stream" }, data);
    await expectStatus(put, 201, `upload blob ${digest} to ${this.name}`);
  }

  private async request(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Response> {
    const all: Record<string, string> = { ...headers };
    if (this.target.auth) {
      const { username, password } = this.target.auth;
      all["Authorization"] = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    }
    return fetch(`${this.target.url}${path}`, { method, headers: all, ...(body ? { body: new Uint8Array(body) } : {}) });
  }
}

async function expectStatus(response: Response, expected: number, what: string): Promise<void> {
  if (response.status === expected) {
    await response.body?.cancel();
    return;
  }
  const text = await response.text().catch(() => "");
  throw new Error(`push: ${what} answered ${response.status} ${response.statusText}, expected ${expected}: ${text.slice(0, 500)}`);
}
