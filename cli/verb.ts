// What a verb is, as data: its help, its arguments and options, and how to run it. The program is
// built from a list of these (verbs.ts); nothing here loads a verb's implementation.
import type { LogLevel } from "../core/log/index.js";
import type { VerbResult } from "./result.js";

/** One command-line option, as commander's help shows it and its parser reads it. */
export interface OptionSpec {
  /** e.g. "--timeout <seconds>", "--json", "--no-wait". */
  flags: string;
  description: string;
  default?: string;
  choices?: readonly string[];
  /** Given more than once, its values are collected in a list. */
  repeatable?: boolean;
  /** Accepted but left out of --help (a knob for tests). */
  hidden?: boolean;
}

export interface ArgumentSpec {
  /** e.g. "<image>", "<image...>", "[registry...]". */
  syntax: string;
  description: string;
}

/** What a verb's run receives from the command line. */
export interface VerbCall<Args extends unknown[], Flags> {
  /** The positional arguments in declaration order; a variadic one is a list. */
  args: Args;
  flags: Flags;
  env: NodeJS.ProcessEnv;
  /** Writes to stdout as the work goes on, before the answer. */
  progress: (text: string) => void;
  /** --log-level when given on the command line; a daemon's configuration may set it otherwise. */
  logLevel: LogLevel | undefined;
}

/** A daemon ends with an exit code only; every other verb answers in text and JSON as well. */
export type VerbOutcome = VerbResult | { exitCode: number };

export interface Verb<Args extends unknown[] = unknown[], Flags = unknown> {
  name: string;
  /** One line, lower case: the list of commands in --help. */
  summary: string;
  /** The verb's own --help text. */
  description: string;
  arguments?: readonly ArgumentSpec[];
  /** In the order its --help lists them: shared specs from options.ts and its own. */
  options: readonly OptionSpec[];
  /**
   * Imports the verb's implementation when it runs and not before, so that --help and every other
   * verb start without loading it (gRPC, HTTP clients and loggers are slow to load). A method, so
   * that a verb whose Args and Flags are narrower still goes in the one list of verbs.
   */
  run(call: VerbCall<Args, Flags>): Promise<VerbOutcome>;
}

/** A command that only groups verbs, e.g. `pullmedic cluster prepull`. */
export interface VerbGroup {
  name: string;
  summary: string;
  description: string;
  verbs: readonly Verb[];
}
