import { humanBytes } from "../../../core/text/index.js";
import { type ImageFilesystem, readImageFilesystems } from "../../probe/index.js";
import { type Check, periodic } from "./check.js";
import type { CheckContext } from "./context.js";

/** The image filesystems' space: the runtime's view, with the host's figures where it can see them. */
export function diskCheck(ctx: CheckContext): Check {
  const { config, runtime, kube, log, jobs, facts } = ctx;
  return periodic(ctx.recorder, {
    name: "disk",
    schedule: { every: config.disk.interval },
    work: async () => readImageFilesystems(await runtime.get()),
    keep: (filesystems) => filesystems,
    describe: describeDisk,
    after: async (disk) => {
      if (disk && facts.runtimeName === undefined) {
        const version = await runtime.containerdVersion();
        if (version !== undefined) facts.runtimeName = `containerd ${version}`;
      }
      await kube?.conditionsChanged();
      const used = disk && highestUsedPercent(disk);
      if (config.prune.enabled && used !== undefined && used >= config.prune.highWatermarkPercent && !jobs.isRunning("prune")) {
        log.info(`disk at ${used} % crosses the ${config.prune.highWatermarkPercent} % high watermark: pruning now`);
        void jobs.trigger("prune");
      }
    },
  });
}

function describeDisk(filesystems: ImageFilesystem[]): string {
  return filesystems
    .map((fs) =>
      fs.host
        ? `${fs.mountpoint}: ${fs.host.usedPercent} % used, ${humanBytes(fs.host.availableBytes)} free`
        : `${fs.mountpoint}: ${fs.hostError ?? "no host figures"}`,
    )
    .join("; ");
}

function highestUsedPercent(filesystems: ImageFilesystem[]): number | undefined {
  const used = filesystems.flatMap((fs) => (fs.host ? [fs.host.usedPercent] : []));
  return used.length ? Math.max(...used) : undefined;
}
