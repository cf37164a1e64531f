// The aggregator's TLS room: the certificate its gRPC port serves, from files (cert-manager's
// Secret, mounted) or from a Secret it makes and keeps itself through the API; the CA published
// for the agents; renewal while it runs. Other folders import only this file.

export { startServingTls } from "./serving-tls.js";
