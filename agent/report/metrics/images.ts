import { type MetricFamily, single } from "./family.js";

export const imagesMetrics: readonly MetricFamily[] = [
  { name: "pullmedic_images", help: "Images on the node.", type: "gauge", labels: [], samples: ({ state }) => single(state.result("images")?.count) },
  {
    name: "pullmedic_images_bytes",
    help: "Size of the node's images as the runtime counts it (compressed).",
    type: "gauge",
    labels: [],
    samples: ({ state }) => single(state.result("images")?.bytes),
  },
];
