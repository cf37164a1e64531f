import { Command, CommanderError, Option } from "commander";
import { CriError } from "../runtime/index.js";
import { diskVerb } from "./disk.js";
import { EXIT_USAGE, errorKind, exitCodeFor } from "./errors.js";
import { imagesVerb } from "./images.js";
import type { VerbResult } from "./result.js";
import type { RuntimeFlags } from "./runtime-options.js";
import { statusVerb } from "./status.js";
import { LOG_LEVELS, createLogger, redactText, setLogger, type LogLevel } from "../log.js";
import { VERSION } from "../version.js";

interface CommonFlags extends RuntimeFlags {
  json?: boolean;
}

const ENDPOINT_HELP = "CRI socket, e.g. unix:///run/containerd/containerd.sock (default: $CRI_ENDPOINT, then detected)";

function runtimeVerb(program: Command, name: string, summary: string, details: string, run: (flags: CommonFlags) => Promise<VerbResult>): void {
  program
    .command(name)
    .summary(summary)
    .description(`${summary}\n\n${details}`)
    .option("--json", "print one JSON object on stdout instead of text")
    .option("--cri-endpoint <url>", ENDPOINT_HELP)
    .option("--timeout <seconds>", "deadline for each runtime call", "10")
    .action(async (flags: CommonFlags) => {
      const result = await run(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(result.json)}\n` : result.text);
      process.exitCode = result.exitCode;
    });
}

export function buildProgram(env: NodeJS.ProcessEnv): Command {
  const program = new Command();
  // Set before the verbs are added: commander copies these settings into each subcommand.
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .name("pullmedic")
    .description(
      "Keeps Kubernetes nodes able to pull their images, and says exactly why when they cannot.\n" +
        "Talks to the node's container runtime over its CRI socket (containerd, k3s, RKE2, MicroK8s, k0s, CRI-O).",
    )
    .version(VERSION, "-V, --version")
    .addOption(new Option("--log-level <level>", "log verbosity on stderr").choices([...LOG_LEVELS]).default("warn"))
    .showHelpAfterError("(run pullmedic --help for usage)")
    .addHelpText(
      "after",
      "\nExit codes: 0 healthy or done, 1 a problem was found, 2 bad usage or bad input.\n" +
        "Try it without a cluster: `npm run lab` starts a real containerd and registry and prints the socket to use.",
    );

  runtimeVerb(program, "images", "list the node's images: tags, digests, size, pinned, which containers use them",
    "Joins the runtime's images with its containers (running and exited) and pod sandboxes, so each\n" +
      "image shows whether it is in use, pinned by the runtime, or the sandbox (pause) image.",
    (flags) => imagesVerb(flags, env));
  runtimeVerb(program, "disk", "show the image filesystem: runtime usage plus the host's capacity, free space and inodes",
    "Reads CRI ImageFsInfo for the image filesystem's mount point, then statfs(2) on it for capacity,\n" +
      "free bytes and inodes. Exits 1 when the disk is past kubelet's image GC threshold (85 %).",
    (flags) => diskVerb(flags, env));
  runtimeVerb(program, "status", "this node at a glance: runtime health, images and disk (what `npm start` runs)",
    "One read of the runtime's conditions, its images and its image filesystem.",
    (flags) => statusVerb(flags, env));
  return program;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const program = buildProgram(env);
  try {
    program.hook("preAction", (cmd) => {
      setLogger(createLogger("cli", cmd.optsWithGlobals<{ logLevel: LogLevel }>().logLevel));
    });
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return ["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code) ? 0 : EXIT_USAGE;
    }
    const message = redactText(err instanceof Error ? err.message : String(err));
    process.stderr.write(`pullmedic: ${message}\n`);
    if (err instanceof CriError && err.kind === "socket-missing" && err.tried.length > 1) {
      process.stderr.write("hint: no runtime here? In a pullmedic checkout, `npm run lab` starts a real containerd and prints its socket.\n");
    }
    if (argv.includes("--json")) process.stdout.write(`${JSON.stringify({ error: { kind: errorKind(err), message } })}\n`);
    return exitCodeFor(err);
  }
}
