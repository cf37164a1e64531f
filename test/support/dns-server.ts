// A tiny authoritative DNS server over UDP for the lab's resolver cases: A records from a table,
// an empty answer for other types of a known name, NXDOMAIN for every other name. It listens on
// port 53 of a loopback address of its own (resolv.conf has no port), so a runtime whose
// resolv.conf names that address asks it, and nothing else does. Every question is logged.

import { createSocket, type Socket } from "node:dgram";

export interface DnsServer {
  address: string;
  /** Questions as asked: "A reg.dns.vantage.test". */
  asked: string[];
  stop(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_NAMES: Record<number, string> = { 1: "A", 28: "AAAA", 5: "CNAME" };

export async function startDnsServer(address: string, records: Record<string, string>): Promise<DnsServer> {
  const asked: string[] = [];
  const socket: Socket = createSocket("udp4");
  socket.on("message", (msg, peer) => {
    const reply = answer(msg, records, asked);
    if (reply !== undefined) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(53, address, () => resolve());
  });
  return { address, asked, stop: () => new Promise((resolve) => socket.close(() => resolve())) };
}

function answer(msg: Buffer, records: Record<string, string>, asked: string[]): Buffer | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return undefined;
  const question = readName(msg, 12);
  if (question === undefined) return undefined;
  const type = msg.readUInt16BE(question.end);
  const questionBytes = msg.subarray(12, question.end + 4);
  const name = question.name.toLowerCase().replace(/\.$/, "");
  asked.push(`${TYPE_NAMES[type] ?? type} ${name}`);
  const known = records[name];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0);
  // QR, opcode 0, AA, RD copied, RA; rcode 3 (NXDOMAIN) for names not in the table.
  const rd = msg.readUInt8(2) & 0x01;
  header.writeUInt8(0x84 | rd, 2);
  header.writeUInt8(0x80 | (known === undefined ? 3 : 0), 3);
  header.writeUInt16BE(1, 4);
  const answers: Buffer[] = [];
  if (known !== undefined && type === TYPE_A) {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(30, 6); // TTL
    rr.writeUInt16BE(4, 10);
    for (const [i, octet] of known.split(".").entries()) rr.writeUInt8(Number(octet), 12 + i);
    answers.push(rr);
  }
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, questionBytes, ...answers]);
}

function readName(msg: Buffer, start: number): { name: string; end: number } | undefined {
  const labels: string[] = [];
  let at = start;
  while (at < msg.length) {
    const len = msg.readUInt8(at);
    if (len === 0) return { name: labels.join("."), end: at + 1 };
    if (len > 63 || at + 1 + len > msg.length) return undefined;
    labels.push(msg.toString("latin1", at + 1, at + 1 + len));
    at += 1 + len;
  }
  return undefined;
}
