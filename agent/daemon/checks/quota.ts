import type { Logger } from "../../../core/log/index.js";
import type { AgentConfig } from "../../config/index.js";
import { checkDockerHubQuota, describeQuota, type QuotaReading, quotaCredential } from "../../quota/index.js";
import { parseDockerConfigJson, type RegistryCredential, readDockerConfigFile } from "../../registry/index.js";
import { errorText } from "../error-text.js";
import { type Check, periodic } from "./check.js";
import type { CheckContext } from "./context.js";

/** Docker Hub's pull quota for this node's address (or its account). Off unless quota.enabled. */
export async function quotaCheck(ctx: CheckContext): Promise<Check | undefined> {
  const { config, log, quota } = ctx;
  if (!config.quota.enabled) return undefined;
  const credential = await dockerHubCredential(config, log);
  return periodic(ctx.recorder, {
    name: "quota",
    schedule: { every: config.quota.interval },
    work: async (): Promise<QuotaReading> => {
      const reading = await checkDockerHubQuota({
        registryUrl: config.quota.registryUrl,
        timeoutMs: config.quota.timeout,
        network: (await ctx.runtime.view()).network,
        ...(credential ? { credential } : {}),
      });
      quota.record(reading);
      return reading;
    },
    keep: (reading) => reading,
    describe: (r) => describeQuota(r, Date.now()),
  });
}

/** The node's own Docker Hub account, when configured, so the quota shown is the one pulls use. */
async function dockerHubCredential(config: AgentConfig, log: Logger): Promise<RegistryCredential | undefined> {
  const file = config.quota.dockerConfig;
  if (!file) return undefined;
  try {
    const parsed = parseDockerConfigJson(await readDockerConfigFile(file), `quota.dockerConfig ${file}`);
    const chosen = quotaCredential(parsed, `quota.dockerConfig ${file}`);
    if (!chosen) {
      log.warn(`quota.dockerConfig ${file} has no Docker Hub entry; checking the anonymous quota`);
      return undefined;
    }
    return chosen.credential ?? { source: `quota.dockerConfig ${file}` };
  } catch (err) {
    log.warn(`cannot use quota.dockerConfig ${file}: ${errorText(err)}; checking the anonymous quota`);
    return undefined;
  }
}
