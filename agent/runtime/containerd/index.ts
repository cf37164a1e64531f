// The containerd room: the few calls of containerd's native API pullmedic reads (the content
// store's ingests and blobs), over the CRI's socket and in the CRI's namespace. CRI-O has no such
// API. Other folders import only this file.

export type { BlobInfo, Ingest } from "./client.js";
export { ContentStore } from "./client.js";
