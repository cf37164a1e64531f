import { type ImageFilesystem, readImageFilesystems } from "../agent/probe/index.js";
import { type NodeImages, type RuntimeCondition, readNodeImages } from "../agent/runtime/index.js";
import { diskProblems, diskText } from "./disk.js";
import { EXIT_OK, EXIT_PROBLEM } from "./errors.js";
import { imagesJson, imagesText } from "./images.js";
import type { VerbResult } from "./result.js";
import { type RuntimeFlags, withRuntime } from "./runtime-options.js";

/** This node at a glance: the runtime's health, its images, and its image filesystem. */
export async function statusVerb(flags: RuntimeFlags, env: NodeJS.ProcessEnv): Promise<VerbResult> {
  const { node, conditions, filesystems, endpoint } = await withRuntime(flags, env, async (client) => {
    const [node, status, filesystems] = await Promise.all([readNodeImages(client), client.status(false), readImageFilesystems(client)]);
    return { node, conditions: status.conditions, filesystems, endpoint: client.endpoint };
  });
  const runtimeReady = conditions.find((c) => c.type === "RuntimeReady")?.status ?? false;
  const problems = [...(runtimeReady ? [] : ["the runtime reports RuntimeReady=false"]), ...filesystems.flatMap(diskProblems)];
  return {
    exitCode: problems.length ? EXIT_PROBLEM : EXIT_OK,
    json: { endpoint: endpoint.target, conditions, ...imagesJson(node), imageFilesystems: filesystems, problems },
    text: statusText(endpoint.target, conditions, node, filesystems, problems),
  };
}

function statusText(target: string, conditions: RuntimeCondition[], node: NodeImages, filesystems: ImageFilesystem[], problems: string[]): string {
  const conds = conditions.map((c) => `${c.type}=${c.status}${c.status ? "" : ` (${[c.reason, c.message].filter(Boolean).join(": ")})`}`).join(", ");
  return [
    `runtime: ${target}`,
    `conditions: ${conds || "none reported"}`,
    "",
    imagesText(node),
    diskText(
      filesystems,
      problems.filter((p) => !p.startsWith("the runtime")),
    ),
  ].join("\n");
}
