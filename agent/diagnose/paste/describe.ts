import type { WorkloadNames } from "../explain-scene.js";
import { type PasteReading, PULL_WORDS } from "./candidate.js";
import { mergeNames, validName, workloadFromOwner } from "./names.js";

/**
 * `kubectl describe pod` output: the header (name, namespace, node, service account, owner), the
 * containers' images, and the Events table, whose rows may have been wrapped by a terminal.
 */
export function readDescribe(lines: readonly string[], out: PasteReading, order: { next: number }): boolean {
  if (!lines.some((l) => /^Name:\s+\S/.test(l)) || !lines.some((l) => /^(?:Events|Containers):/.test(l))) return false;
  let header: WorkloadNames = {};
  let section = "";
  let container: string | undefined;
  let events: EventColumns | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const top = /^([A-Z][A-Za-z -]{1,40}):\s*(.*)$/.exec(line);
    if (top !== null) {
      section = top[1] ?? "";
      // "Name:" starts the next pod of `kubectl describe pods`: nothing of the previous one carries over.
      header = section === "Name" ? headerField(section, (top[2] ?? "").trim()) : mergeNames(headerField(section, (top[2] ?? "").trim()), header);
      if (section === "Name") out.names = mergeNames(out.names, header);
      continue;
    }
    if (section === "Containers" || section === "Init Containers") container = containerLine(line, container, out);
    else if (section === "Events") events = eventLine(lines, i, events, out, header, order) ?? events;
  }
  out.names = mergeNames(out.names, header);
  return true;
}

function headerField(key: string, value: string): WorkloadNames {
  switch (key) {
    case "Name":
      return validName(value) === undefined ? {} : { pod: value };
    case "Namespace":
      return validName(value) === undefined ? {} : { namespace: value };
    case "Node":
      return validName(value.split("/")[0]) === undefined ? {} : { node: value.split("/")[0] as string };
    case "Service Account":
      return validName(value) === undefined ? {} : { serviceAccount: value };
    case "Controlled By": {
      const [kind, name] = value.split("/");
      const workload = kind !== undefined && name !== undefined ? workloadFromOwner(kind, name) : undefined;
      return workload === undefined ? {} : { workload };
    }
    default:
      return {};
  }
}

function containerLine(line: string, current: string | undefined, out: PasteReading): string | undefined {
  const name = /^ {2}([a-z0-9][-a-z0-9]{0,62}):\s*$/.exec(line);
  if (name?.[1] !== undefined) return name[1];
  const image = /^ {4}Image:\s+(\S{1,1024})\s*$/.exec(line);
  if (image?.[1] !== undefined && current !== undefined) out.containers.push({ name: current, image: image[1] });
  return current;
}

interface EventColumns {
  message: number;
  from: number;
}

/** Reads one line of the Events section; returns the columns when the line is the table's header. */
function eventLine(
  lines: readonly string[],
  i: number,
  cols: EventColumns | undefined,
  out: PasteReading,
  header: WorkloadNames,
  order: { next: number },
): EventColumns | undefined {
  const line = lines[i] ?? "";
  if (/^\s+Type\s+Reason\s+Age\s+From\s+Message\s*$/.test(line)) {
    return { message: line.indexOf("Message"), from: line.indexOf("From") };
  }
  if (cols === undefined || !/^\s+(?:Normal|Warning)\s/.test(line)) return undefined;
  let message =
    line.length > cols.message && line.charAt(cols.message - 1) === " "
      ? line.slice(cols.message).trim()
      : (/\b(?:kubelet|default-scheduler)(?:,\s*\S+)?\s{2,}(.*)$/.exec(line)?.[1] ?? "");
  // A terminal that wrapped a long message continues it on lines that start no new row.
  for (let j = i + 1; j < lines.length && isContinuation(lines[j] ?? ""); j++) message += ` ${(lines[j] ?? "").trim()}`;
  if (!PULL_WORDS.test(message)) return undefined;
  const from = line.slice(cols.from, cols.message).trim();
  const node = /^kubelet,\s*(\S+)$/.exec(from)?.[1];
  out.candidates.push({ message, source: "describe-pod", names: mergeNames(header, node === undefined ? {} : { node }), order: order.next++ });
  return undefined;
}

/** A terminal wraps at its width, so continuations usually start in column 0; a section header does not continue. */
function isContinuation(line: string): boolean {
  return line.trim() !== "" && !/^\s+(?:Normal|Warning)\s/.test(line) && !/^[A-Z][A-Za-z -]{1,40}:(?:\s|$)/.test(line);
}
