import { probeRegistries, type RegistryProbe, registriesOfImages } from "../../probe/index.js";
import { type Check, periodic } from "./check.js";
import type { CheckContext } from "./context.js";

/**
 * Probes every registry the node pulls from (configured, in its images, in its pods' specs) the
 * way its runtime would reach them. Off unless probes.enabled.
 */
export function probesCheck(ctx: CheckContext): Check | undefined {
  const { config, runtime, quota, kube, facts } = ctx;
  if (!config.probes.enabled) return undefined;
  return periodic(ctx.recorder, {
    name: "probes",
    schedule: { every: config.probes.interval },
    work: async (): Promise<RegistryProbe[]> => {
      const tags = facts.images?.images.flatMap((i) => i.repoTags) ?? [];
      const domains = [...new Set([...config.probes.registries, ...registriesOfImages(tags), ...(kube?.watch.registries() ?? [])])];
      const containerdVersion = await runtime.containerdVersion();
      const vantage = await runtime.view();
      return probeRegistries(domains, {
        hostsDir: await runtime.hostsDir(),
        vantage,
        timeoutMs: config.probes.timeout,
        ...(containerdVersion ? { containerdVersion } : {}),
        onRateLimit: (r) => quota.recordRateLimit(r, "pull"),
      });
    },
    keep: (probes) => probes,
    describe: (probes) => {
      const bad = probes.filter((p) => !p.ok).map((p) => p.registry);
      const warnings = probes.flatMap((p) => p.warnings);
      return `${probes.length} registries, ${bad.length ? `unhealthy: ${bad.join(", ")}` : "all healthy"}${warnings.length ? `; ${warnings.join("; ")}` : ""}`;
    },
    after: async () => {
      await kube?.conditionsChanged();
    },
  });
}
