import type { WorkloadNames } from "../explain-scene.js";
import { type PasteReading, type PasteSource, PULL_WORDS } from "./candidate.js";
import { mergeNames, podRef, validName } from "./names.js";

// "Jun 12 09:14:03 worker-2 kubelet[1843]: …" (journalctl, syslog) or the -o short-iso form.
const SYSLOG =
  /^(?:[A-Z][a-z]{2} {1,2}\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT[\d:.]{8,15}(?:Z|[+-]\d\d:?\d\d)?) (\S{1,253}) ([A-Za-z0-9_.-]{1,64})(?:\[\d{1,10}\])?: (.*)$/;
// kubelet under its own name and inside distributions' binaries (OpenShift, k3s, RKE2, k0s, MicroK8s).
const PROGRAMS: Record<string, PasteSource> = {
  kubelet: "kubelet-log",
  kubenswrapper: "kubelet-log",
  hyperkube: "kubelet-log",
  k3s: "kubelet-log",
  rke2: "kubelet-log",
  k0s: "kubelet-log",
  kubelite: "kubelet-log",
  containerd: "containerd-log",
  crio: "crio-log",
  dockerd: "containerd-log",
};

/**
 * Log lines: kubelet's klog lines (structured `"msg" err="…" image="…" pod="ns/name"` or plain),
 * containerd's and CRI-O's logfmt lines (`error="…"`, `msg="…"`), crictl's `FATA[…]` lines, with or
 * without journald's prefix. Each pull error becomes a candidate with the node the prefix names.
 */
export function readLogLines(lines: readonly string[], out: PasteReading, order: { next: number }): boolean {
  let any = false;
  for (const raw of lines) {
    const sys = SYSLOG.exec(raw);
    const body = sys?.[3] ?? raw;
    const source = sys === null ? guessSource(body) : (PROGRAMS[sys[2] ?? ""] ?? guessSource(body));
    if (source === undefined) continue;
    any = true;
    const found = logMessage(body);
    if (found === undefined || !PULL_WORDS.test(`${found.message} ${body.slice(0, 200)}`)) continue;
    const node = validName(sys?.[1]);
    out.candidates.push({ message: found.message, source, names: mergeNames(found.names, node === undefined ? {} : { node }), order: order.next++ });
  }
  return any;
}

function guessSource(body: string): PasteSource | undefined {
  if (/^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d{1,10} \S{1,80}:\d{1,6}\] /.test(body)) return "kubelet-log";
  if (/^time="[^"]{1,64}" level=\w{1,10} /.test(body)) return "containerd-log";
  if (/^(?:FATA|ERRO)\[\d{4}\] /.test(body)) return "crictl";
  return undefined;
}

/** The error a log line carries, and the pod and container it names. */
function logMessage(body: string): { message: string; names: WorkloadNames } | undefined {
  const names: WorkloadNames = {};
  const pod = quoted(body, "pod");
  if (pod !== undefined) Object.assign(names, podRef(pod));
  // Older kubelets: `Error syncing pod <uid> ("<name>_<namespace>(<uid>)"), skipping: …`.
  const old = /Error syncing pod \S{1,64} \("([a-z0-9][-a-z0-9.]{0,252})_([a-z0-9][-a-z0-9]{0,62})\(/.exec(body);
  if (pod === undefined && old?.[1] !== undefined && old[2] !== undefined) Object.assign(names, { pod: old[1], namespace: old[2] });
  const container =
    quoted(body, "containerName") ??
    /for \\?"([a-z0-9][-a-z0-9]{0,62})\\?" with (?:ErrImagePull|ImagePullBackOff|ErrImageNeverPull|InvalidImageName)/.exec(body)?.[1];
  if (validName(container) !== undefined) names.container = container as string;
  const err = quoted(body, "err") ?? quoted(body, "error");
  const image = quoted(body, "image");
  if (err !== undefined) return { message: image !== undefined && !err.includes(image) ? `${err} image="${image}"` : err, names };
  const msg = quoted(body, "msg");
  if (msg !== undefined) return { message: msg, names };
  const fatal = /^(?:FATA|ERRO)\[\d{4}\] (.*)$/.exec(body);
  if (fatal?.[1] !== undefined) return { message: fatal[1], names };
  const klog = /^[IWEF]\d{4} [\d:.]{8,15}\s+\d{1,10} \S{1,80}\] (.*)$/.exec(body);
  return { message: klog?.[1] ?? body, names };
}

/**
 * The value of key="…" in a klog or logfmt line, with Go's escapes undone once (a pod worker's
 * err nests a quoted error inside a quoted error, whose inner quotes stay escaped once).
 */
function quoted(line: string, key: string): string | undefined {
  const start = line.indexOf(` ${key}="`);
  if (start < 0) return undefined;
  let out = "";
  for (let i = start + key.length + 3; i < line.length; i++) {
    const ch = line.charAt(i);
    if (ch === "\\" && i + 1 < line.length) {
      const next = line.charAt(++i);
      out += next === "n" ? "\n" : next === "t" ? "\t" : next;
      continue;
    }
    if (ch === '"') return out;
    out += ch;
  }
  return undefined;
}
