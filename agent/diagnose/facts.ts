import type { Platform } from "../../core/image/index.js";
import type { ProviderCoverage } from "./credential-provider/index.js";

/**
 * What the pipeline learned that a fix command or a summary needs. Every field is optional:
 * a diagnosis that stops early knows little, and fixes use placeholders only for what is unknown.
 */
export interface DiagnosisFacts {
  /** The image as the user wrote it, and normalized. */
  image: string;
  normalized?: string;
  /** Registry domain as in the reference ("docker.io", "reg.example:5000"). */
  domain?: string;
  repository?: string;
  tag?: string;
  /** The endpoint URL the failing step talked to. */
  endpoint?: string;
  hostsDir: string;
  status?: number;
  registryCodes?: string[];
  /** describeCredential() of the credential tried; never the secret. */
  credential?: string;
  secretName?: string;
  secretNamespace?: string;
  suggestions?: string[];
  repositoryExists?: boolean;
  rateLimit?: { limit: number; remaining: number; windowSeconds: number | undefined; source: string | undefined };
  retryAfterSeconds?: number;
  tlsProblem?: string;
  certificate?: { subject: string; issuer: string; names: string[]; validTo: string; daysLeft: number };
  platform?: Platform;
  availablePlatforms?: string[];
  imageBytes?: number;
  availableBytes?: number;
  imageFsMount?: string;
  bytesPerSecond?: number;
  estimatedSeconds?: number;
  pullDeadlineSeconds?: number;
  runtimeMessage?: string;
  /** A kubelet image credential provider covers the image: the node's credentials come from it. */
  provider?: ProviderCoverage;
}
