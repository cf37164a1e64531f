import type { HostFilesystem } from "../../probe/index.js";
import type { MetricFamily, Sample, Scrape } from "./family.js";

/** One sample per image filesystem with host figures, labelled by its mount point. */
function perFilesystem(value: (host: HostFilesystem) => number): (scrape: Scrape) => Sample[] {
  return ({ state }) => (state.result("disk") ?? []).flatMap((fs): Sample[] => (fs.host ? [[{ mountpoint: fs.mountpoint }, value(fs.host)]] : []));
}

export const imageFsMetrics: readonly MetricFamily[] = [
  {
    name: "pullmedic_image_fs_capacity_bytes",
    help: "Capacity of the image filesystem.",
    type: "gauge",
    labels: ["mountpoint"],
    samples: perFilesystem((h) => h.capacityBytes),
  },
  {
    name: "pullmedic_image_fs_available_bytes",
    help: "Bytes available to the runtime on the image filesystem.",
    type: "gauge",
    labels: ["mountpoint"],
    samples: perFilesystem((h) => h.availableBytes),
  },
  {
    name: "pullmedic_image_fs_used_ratio",
    help: "Share of the image filesystem not available, as kubelet's image GC measures it (0..1).",
    type: "gauge",
    labels: ["mountpoint"],
    samples: perFilesystem((h) => h.usedPercent / 100),
  },
  {
    name: "pullmedic_image_fs_inodes_free",
    help: "Free inodes on the image filesystem.",
    type: "gauge",
    labels: ["mountpoint"],
    samples: perFilesystem((h) => h.inodesFree),
  },
];
