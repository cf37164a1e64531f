import { Command, CommanderError, Option } from "commander";
import { createLogger, type LogLevel, setLogger } from "../core/log/index.js";
import { VERSION } from "../core/process/index.js";
import { EXIT_USAGE } from "./errors.js";
import { JSON_OUTPUT, LOG_LEVEL } from "./options.js";
import { argvWantsJson, OUTPUT, outputFormat } from "./output.js";
import { terminalText, writeFailure, writeOutcome, writeProgress } from "./render.js";
import type { OptionSpec, Verb, VerbGroup } from "./verb.js";
import { COMMANDS } from "./verbs.js";

/** A program built from a list of verbs: `pullmedic`, or the kubectl plugin (cli/kubectl-pullmedic.ts). */
export interface ProgramSpec {
  name: string;
  description: string;
  helpAfter: string;
  commands: readonly (Verb | VerbGroup)[];
}

/** The program with the verbs of verbs.ts (verbsFor); running it writes each verb's answer and exit code. */
function buildProgram(env: NodeJS.ProcessEnv, argv: readonly string[], spec?: ProgramSpec): Command {
  if (spec) return programOf(spec, env, argv);
  const program = new Command();
  // Set before the verbs are added: commander copies these settings into each subcommand.
  program.exitOverride();
  // Commander repeats what it was given ("unknown option …"): that is outside text too.
  program.configureOutput({ writeErr: (s) => process.stderr.write(terminalText(s)) });
  program
    .name("pullmedic")
    .description(
      "Keeps Kubernetes nodes able to pull their images, and says exactly why when they cannot.\n" +
        "Talks to the node's container runtime over its CRI socket (containerd, k3s, RKE2, MicroK8s, k0s, CRI-O).",
    )
    .version(VERSION, "-V, --version")
    .addOption(toOption(LOG_LEVEL))
    .showHelpAfterError("(run pullmedic --help for usage)")
    .addHelpText(
      "after",
      "\nExit codes: 0 healthy or done, 1 a problem was found, 2 bad usage or bad input.\n" +
        "Try it without a cluster: `npm run lab` starts a real containerd and registry and prints the socket to use.",
    );
  for (const command of verbsFor(COMMANDS, argv)) addCommand(program, command, env);
  return program;
}

/**
 * The verbs to declare: when the command line starts with a verb's name, that verb alone, since
 * commander then hands the rest of the line to it and nothing of the other verbs shows (its
 * --help, its errors and their suggestions are its own); otherwise all of them, for the program's
 * --help, `help <verb>` and an unknown verb's "did you mean". Declaring every verb's options took
 * about 5 ms of a one-shot verb's start.
 */
function verbsFor(commands: readonly (Verb | VerbGroup)[], argv: readonly string[]): readonly (Verb | VerbGroup)[] {
  const named = commands.find((c) => c.name === argv[0]);
  return named ? [named] : commands;
}

function programOf(spec: ProgramSpec, env: NodeJS.ProcessEnv, argv: readonly string[]): Command {
  const program = new Command();
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.name(spec.name).description(spec.description).version(VERSION, "-V, --version").addOption(toOption(LOG_LEVEL));
  program.showHelpAfterError(`(run ${spec.name} --help for usage)`).addHelpText("after", spec.helpAfter);
  for (const command of verbsFor(spec.commands, argv)) addCommand(program, command, env);
  return program;
}

function addCommand(parent: Command, command: Verb | VerbGroup, env: NodeJS.ProcessEnv): void {
  const cmd = parent.command(command.name).summary(command.summary).description(command.description);
  if ("verbs" in command) {
    for (const verb of command.verbs) addCommand(cmd, verb, env);
    return;
  }
  for (const a of command.arguments ?? []) cmd.argument(a.syntax, a.description);
  for (const o of command.options) cmd.addOption(toOption(o));
  // Every verb that answers in JSON answers in the other formats of -o too.
  if (command.options.includes(JSON_OUTPUT)) cmd.addOption(toOption(OUTPUT));
  // commander calls an action with the arguments, then the options, then the command itself.
  cmd.action(async (...params: unknown[]) => {
    const format = outputFormat(cmd.opts());
    // A verb prints progress unless told its answer is for a program: json, yaml and name are.
    const flags = format === "text" || format === "wide" ? cmd.opts() : { ...cmd.opts(), json: true };
    const outcome = await command.run({
      args: params.slice(0, -2),
      flags,
      env,
      progress: writeProgress,
      logLevel: explicitLogLevel(cmd),
    });
    process.exitCode = await writeOutcome(outcome, format);
  });
}

function toOption(spec: OptionSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.choices !== undefined) option.choices(spec.choices);
  if (spec.repeatable) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  if (spec.hidden) option.hideHelp();
  return option;
}

/** --log-level only when given on the command line: a daemon's configuration may set it otherwise. */
function explicitLogLevel(cmd: Command): LogLevel | undefined {
  let root = cmd;
  while (root.parent) root = root.parent;
  return root.getOptionValueSource("logLevel") === "cli" ? root.opts<{ logLevel: LogLevel }>().logLevel : undefined;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, spec?: ProgramSpec): Promise<number> {
  const program = buildProgram(env, argv, spec);
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
    return writeFailure(err, argvWantsJson(argv));
  }
}
