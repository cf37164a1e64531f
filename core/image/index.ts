// The image domain: references as kubelet and containerd parse them, and platforms.

export * from "./dockerhub.js";
export * from "./platform.js";
export * from "./reference.js";
