import type { WorkloadNames } from "../explain-scene.js";

/** Where in a paste a message was found. */
export type PasteSource =
  | "describe-pod"
  | "pod-status"
  | "events-table"
  | "events-json"
  | "events-yaml"
  | "kubelet-log"
  | "containerd-log"
  | "crio-log"
  | "crictl"
  | "text";

/** One message a paste holds, with the names that came with it. */
export interface PasteCandidate {
  message: string;
  source: PasteSource;
  /** Names this message belongs to (its pod, container, node); the paste's own names fill the rest. */
  names: WorkloadNames;
  /** Position in the paste, for "the latest wins" between equals. */
  order: number;
}

/** What a paste says: its pull messages and the names read around them. */
export interface PasteReading {
  candidates: PasteCandidate[];
  /** Names that hold for the whole paste (a describe header, a pod manifest). */
  names: WorkloadNames;
  /** Each container's image, to name the container a message is about. */
  containers: { name: string; image: string }[];
}

export function emptyReading(): PasteReading {
  return { candidates: [], names: {}, containers: [] };
}

/** Words that make a line worth classifying; everything else in a paste is context. */
export const PULL_WORDS =
  /Failed to pull image|Back-off pulling image|pull(?:ing)? image|PullImage|ErrImage|ImagePull|InvalidImageName|image pull secrets|pull secret|pull policy of|credential provider|because of no progress|failed to resolve (?:reference|image)|reading manifest|initializing source|pinging container registry|Error response from daemon|short-name|no matching manifest|manifest unknown|toomanyrequests/i;
