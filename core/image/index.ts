// The image domain: references as kubelet and containerd parse them, and platforms.
export * from "./reference.js";
export * from "./platform.js";
export * from "./dockerhub.js";
