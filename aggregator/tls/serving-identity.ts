// The certificate and key the gRPC port serves, swappable while it listens: grpc-js takes them from a
// certificate provider (its experimental API, the one its own file watcher uses) and sets them on
// the live TLS server, so a renewed certificate is served without a restart or a dropped stream.

import type { experimental } from "@grpc/grpc-js";
import type { CertificateAndKey } from "../../core/x509/index.js";

type Provider = experimental.CertificateProvider;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

export class ServingIdentity implements Provider {
  private latest: experimental.IdentityCertificateUpdate | null = null;
  private readonly listeners = new Set<IdentityListener>();

  /** Serves `pair` from now on (new connections; open ones keep their session). */
  update(pair: CertificateAndKey): void {
    this.latest = { certificate: Buffer.from(pair.cert), privateKey: Buffer.from(pair.key) };
    for (const listener of this.listeners) listener(this.latest);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.add(listener);
    // Later, not now: grpc-js adds its own watcher only after this returns, and would miss it.
    setImmediate(() => {
      if (this.listeners.has(listener) && this.latest !== null) listener(this.latest);
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.delete(listener);
  }

  // Agents are not asked for certificates: they prove who they are with their tokens.
  addCaCertificateListener(): void {
    return;
  }
  removeCaCertificateListener(): void {
    return;
  }
}
