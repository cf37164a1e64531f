// Facts about this running program: where its package lives, its version, lazy module loading.
export * from "./lazy.js";
export * from "./package-root.js";
export * from "./version.js";
