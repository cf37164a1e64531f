// `pullmedic completion bash|zsh|fish`: a completion script made from the verbs' own declarations
// (verbs.ts), so a new verb or flag completes without touching this file. zsh runs the bash
// script through its bashcompinit layer.

import { EXIT_OK, UsageError } from "./errors.js";
import { OUTPUT } from "./output.js";
import type { VerbResult } from "./result.js";
import type { OptionSpec, Verb, VerbGroup } from "./verb.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;

interface Flag {
  names: string[];
  takesValue: boolean;
  choices: readonly string[];
  description: string;
}

function flagOf(spec: OptionSpec): Flag {
  const names = spec.flags.split(/[ ,]+/).filter((w) => w.startsWith("-"));
  return { names, takesValue: /[<[]/.test(spec.flags), choices: spec.choices ?? [], description: spec.description };
}

/** Every command path ("", "diagnose", "cluster prepull") with the words that may follow it. */
function table(commands: readonly (Verb | VerbGroup)[], globals: readonly OptionSpec[]): { path: string; words: string[]; flags: Flag[] }[] {
  const rows: { path: string; words: string[]; flags: Flag[] }[] = [];
  const globalFlags = [...globals.map(flagOf), { names: ["-h", "--help"], takesValue: false, choices: [], description: "show help" }];
  rows.push({
    path: "",
    words: [...commands.map((c) => c.name), "help"],
    flags: [...globalFlags, { names: ["-V", "--version"], takesValue: false, choices: [], description: "" }],
  });
  const walk = (list: readonly (Verb | VerbGroup)[], prefix: string) => {
    for (const c of list) {
      const path = prefix ? `${prefix} ${c.name}` : c.name;
      if ("verbs" in c) {
        rows.push({ path, words: c.verbs.map((v) => v.name), flags: globalFlags });
        walk(c.verbs, path);
      } else {
        // The program gives -o to every verb that answers in JSON.
        const options = c.options.some((o) => o.flags === "--json") ? [...c.options, OUTPUT] : c.options;
        const shells = c.arguments?.some((a) => a.syntax === "<shell>") ? [...SHELLS] : [];
        rows.push({ path, words: shells, flags: [...options.map(flagOf), ...globalFlags] });
      }
    }
  };
  walk(commands, "");
  return rows;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bashScript(program: string, rows: ReturnType<typeof table>): string {
  const fn = `_${program.replace(/[^A-Za-z0-9]/g, "_")}_complete`;
  const all = rows.flatMap((r) => r.flags);
  const valued = [...new Set(all.filter((f) => f.takesValue).flatMap((f) => f.names))].join(" ");
  const paths = rows
    .map((r) => r.path)
    .filter(Boolean)
    .join("|");
  const choiceCases = [...new Map(all.filter((f) => f.choices.length).map((f) => [f.names.join("|"), f.choices.join(" ")])).entries()]
    .map(([names, choices]) => `    ${names}) COMPREPLY=($(compgen -W ${q(choices)} -- "$cur")); return ;;`)
    .join("\n");
  const pathCases = rows
    .map((r) => `    ${q(r.path)}) words=${q(r.words.join(" "))} flags=${q(r.flags.flatMap((f) => f.names.filter((n) => n.startsWith("--"))).join(" "))} ;;`)
    .join("\n");
  return `# ${program} completion for bash. Load it with:  source <(${program} completion bash)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" i w words="" flags=""
  # The verb path typed so far: each word that extends a known path; flags, their values and
  # a verb's arguments are passed over.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case " ${valued} " in *" \${COMP_WORDS[i-1]} "*) continue ;; esac
    case "|${paths}|" in *"|\${path:+$path }$w|"*) path="\${path:+$path }$w" ;; esac
  done
  case "$prev" in
${choiceCases}
  esac
  case " ${valued} " in *" $prev "*) COMPREPLY=($(compgen -f -- "$cur")); return ;; esac
  case "$path" in
${pathCases}
  esac
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$flags" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$words" -- "$cur")) ;;
  esac
}
complete -F ${fn} ${program}
`;
}

function fishScript(program: string, rows: ReturnType<typeof table>): string {
  const lines = [`# ${program} completion for fish. Load it with:  ${program} completion fish | source`, `complete -c ${program} -f`];
  for (const r of rows) {
    const parts = r.path === "" ? [] : r.path.split(" ");
    const cond =
      parts.length === 0
        ? "__fish_use_subcommand"
        : `__fish_seen_subcommand_from ${parts.at(-1)}${parts.length > 1 ? `; and __fish_seen_subcommand_from ${parts[0]}` : ""}`;
    for (const w of r.words) lines.push(`complete -c ${program} -n ${q(cond)} -a ${q(w)}`);
    for (const f of r.flags) {
      const long = f.names.find((n) => n.startsWith("--"))?.slice(2);
      const short = f.names.find((n) => /^-[^-]$/.test(n))?.slice(1);
      const args = [long ? `-l ${long}` : "", short ? `-s ${short}` : "", f.takesValue ? "-r" : "", f.choices.length ? `-a ${q(f.choices.join(" "))}` : ""];
      lines.push(`complete -c ${program} -n ${q(cond)} ${args.filter(Boolean).join(" ")} -d ${q(f.description.slice(0, 80))}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export function completionScript(shell: string, program: string, commands: readonly (Verb | VerbGroup)[], globals: readonly OptionSpec[]): VerbResult {
  const rows = table(commands, globals);
  let script: string;
  if (shell === "bash") script = bashScript(program, rows);
  else if (shell === "zsh")
    script = `#compdef ${program}\n# Load it with:  source <(${program} completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(program, rows)}`;
  else if (shell === "fish") script = fishScript(program, rows);
  else throw new UsageError(`completion: ${JSON.stringify(shell)} is not a shell this knows; use bash, zsh or fish`);
  return { exitCode: EXIT_OK, json: { shell, script }, text: script };
}
