// Paste anything: kubectl describe / get events (table, wide, JSON, YAML), pod manifests, kubelet,
// containerd and CRI-O log lines. Finds the most precise pull message and the names around it.

export type { PasteExplanation } from "./explain-paste.js";
export { explainPaste } from "./explain-paste.js";
export { MAX_PASTE_CHARS, readPaste } from "./read.js";
