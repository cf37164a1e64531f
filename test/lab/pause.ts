// The lab's sandbox ("pause") image: a static busybox that sleeps. Built locally
// because the real pause image would need a network pull.

import { readFileSync } from "node:fs";
import { type BuiltImage, buildImage } from "./image.js";
import { requireBinary } from "./process.js";

const BUSYBOX = "/bin/busybox";

export function buildPauseImage(): BuiltImage {
  requireBinary(BUSYBOX, "the lab's pause image needs a static busybox: apt-get install busybox-static");
  const data = readFileSync(BUSYBOX);
  // Debian's dynamic "busybox" package installs the same path; in an image without
  // a libc it fails at exec with a baffling "no such file or directory".
  if (hasInterpreter(data)) {
    throw new Error(`${BUSYBOX} is dynamically linked; the lab's pause image needs a static one: apt-get install busybox-static`);
  }
  return buildImage({
    files: { "bin/busybox": { data, mode: 0o755 } },
    entrypoint: [`/bin/busybox`, "sleep", "2147483647"],
  });
}

const PT_INTERP = 3;

// An ELF executable is dynamic exactly when it names a program interpreter.
function hasInterpreter(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${BUSYBOX} is not an ELF executable`);
  const is64 = elf[4] === 2;
  const little = elf[5] === 1;
  const u16 = (offset: number): number => (little ? elf.readUInt16LE(offset) : elf.readUInt16BE(offset));
  const u32 = (offset: number): number => (little ? elf.readUInt32LE(offset) : elf.readUInt32BE(offset));
  const phoff = is64 ? Number(little ? elf.readBigUInt64LE(0x20) : elf.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > elf.length) break;
    if (u32(at) === PT_INTERP) return true;
  }
  return false;
}
