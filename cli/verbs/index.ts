// Every command of `pullmedic`, in the order --help lists them. A verb is declared as data in its
// own file here (help text, arguments, options, how to run it); its implementation, cli/<verb>.ts,
// is imported only when it runs. Adding a verb: its implementation, its declaration beside these,
// and one line in this list.
import { agent } from "./agent.js";
import { aggregator } from "./aggregator.js";
import { cluster } from "./cluster.js";
import { diagnose } from "./diagnose.js";
import { disk } from "./disk.js";
import { explain } from "./explain.js";
import { images } from "./images.js";
import { prepull } from "./prepull.js";
import { probe } from "./probe.js";
import { prune } from "./prune.js";
import { quota } from "./quota.js";
import { status } from "./status.js";
import type { Verb, VerbGroup } from "../verb.js";

export const COMMANDS: readonly (Verb | VerbGroup)[] = [images, disk, status, prune, prepull, diagnose, quota, explain, probe, agent, aggregator, cluster];
