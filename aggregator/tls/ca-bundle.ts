// The CA agents trust, published in a ConfigMap of the aggregator's namespace (key ca.crt) that the
// agent DaemonSet mounts: a ConfigMap, because the CA is no secret and the agents must never be able
// to read the aggregator's key. Written only when it differs.

import { createDataObject, getDataObject, KubeApiError, type KubeHttp, patchData } from "../../core/kube/index.js";

const CA_BUNDLE_KEY = "ca.crt";

export async function publishCaBundle(http: KubeHttp, namespace: string, name: string, caPem: string, log: (message: string) => void): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await getDataObject(http, "configmaps", namespace, name);
    if (current?.data[CA_BUNDLE_KEY] === caPem) return;
    try {
      if (current === undefined) {
        await createDataObject(http, "configmaps", namespace, {
          metadata: { name, labels: { "app.kubernetes.io/name": "pullmedic" } },
          data: { [CA_BUNDLE_KEY]: caPem },
        });
      } else {
        await patchData(http, "configmaps", namespace, name, { [CA_BUNDLE_KEY]: caPem }, current.metadata.resourceVersion);
      }
      log(`TLS: published the CA agents trust in ConfigMap ${namespace}/${name} (key ${CA_BUNDLE_KEY})`);
      return;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    }
  }
  throw new Error(`TLS: ConfigMap ${namespace}/${name} kept changing while the CA was published`);
}
