// Filled in by the issue-3 work; see agent/registry/index.ts.
export {};
