// A target's pull credential, picked from its .dockerconfigjson the way kubelet picks from a pull
// Secret. Each file is read once per round, however many images name it.

import type { ImageReference } from "../../core/image/index.js";
import { authConfigFor } from "../diagnose/index.js";
import {
  CredentialError,
  type DockerConfig,
  kubeletRegistryCredential,
  matchCredentials,
  parseDockerConfigJson,
  type RegistryCredential,
  readDockerConfigFile,
} from "../registry/index.js";
import type { AuthConfig } from "../runtime/index.js";

export interface ChosenCredential {
  /** For the HEAD. */
  registry: RegistryCredential;
  /** For PullImage: username and password only, as kubelet passes them. */
  cri: AuthConfig | undefined;
  /** A key for sharing registry clients: same file, same entry. */
  key: string;
}

export type CredentialAnswer =
  | { kind: "none" }
  /** The file has no entry for this registry: kubelet pulls anonymously, and so does the pre-pull. */
  | { kind: "unmatched"; note: string }
  | { kind: "chosen"; credential: ChosenCredential }
  | { kind: "problem"; message: string };

export class CredentialFiles {
  private readonly files = new Map<string, Promise<DockerConfig | Error>>();

  async pick(path: string | undefined, ref: ImageReference): Promise<CredentialAnswer> {
    if (path === undefined) return { kind: "none" };
    const config = await this.load(path);
    if (config instanceof Error) return { kind: "problem", message: config.message };
    const entries = matchCredentials(config, ref);
    const entry = entries[0];
    if (entry === undefined) {
      const keys = config.entries.map((e) => JSON.stringify(e.rawKey)).join(", ") || "no entries";
      return { kind: "unmatched", note: `${config.source} has no entry for ${ref.domain} (it has ${keys}), so the pull went without credentials` };
    }
    return { kind: "chosen", credential: { registry: kubeletRegistryCredential(entry), cri: authConfigFor(entry), key: `${path}\0${entry.rawKey}` } };
  }

  private load(path: string): Promise<DockerConfig | Error> {
    let loading = this.files.get(path);
    if (loading === undefined) {
      loading = readConfig(path);
      this.files.set(path, loading);
    }
    return loading;
  }
}

async function readConfig(path: string): Promise<DockerConfig | Error> {
  const source = `docker config ${path}`;
  let text: string;
  try {
    text = await readDockerConfigFile(path);
  } catch (err) {
    return new Error(`${source} cannot be read: ${(err as Error).message.slice(path.length + 2)}`);
  }
  try {
    return parseDockerConfigJson(text, source);
  } catch (err) {
    if (err instanceof CredentialError) return err;
    throw err;
  }
}
