// What a configuration problem is: every problem at once, each a line naming its key and where
// the value came from.

/** Every problem in the configuration at once, each naming its key and where the value came from. */
export class ConfigError extends Error {
  override readonly name: string = "ConfigError";
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

export type Plain = Record<string, unknown>;
