// Facts about this running program: where its package lives, its version, lazy module loading.
export { lazyModule, undiciAgent, undiciConnector, undiciPool } from "./lazy.js";
export { findPackageRoot } from "./package-root.js";
export { VERSION } from "./version.js";
