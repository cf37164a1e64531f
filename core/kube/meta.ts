// The parts of Kubernetes objects every kind shares (meta/v1). Field names are the API's; only
// fields pullmedic uses are declared, and the API may send more (they are ignored).

export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface LocalObjectReference {
  name: string;
}
