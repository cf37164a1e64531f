// X.509 made here: a private CA and the serving certificates it signs (for the aggregator's gRPC
// port when no cert-manager is there to make them). Other folders import only this file.

export type { CertificateAndKey } from "./certificate.js";
export { createAuthority, issueServing } from "./certificate.js";
