// A minimal ustar writer: enough for image layers built in tests. Every header
// field that could vary between runs (owner, mtime) is fixed, so the same input
// always yields the same bytes and therefore the same layer digest.

export type TarEntry = { type: "file"; path: string; data: Buffer; mode: number } | { type: "dir"; path: string; mode: number };

const BLOCK = 512;

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new Error(`tar: "${value}" does not fit in ${length} bytes`);
  bytes.copy(header, offset);
}

// Numeric fields are zero-padded octal followed by a NUL, as ustar readers expect.
function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`tar: ${value} does not fit in a ${length}-byte field`);
  writeString(header, offset, length, `${digits.padStart(length - 1, "0")}\0`);
}

// ustar stores names over 100 bytes as prefix + "/" + name, split at a slash.
function splitName(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: "", name: path };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== "/") continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== "") return { prefix, name };
  }
  throw new Error(`tar: path too long for ustar: ${path}`);
}

function header(entry: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const path = entry.type === "dir" && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path;
  const { prefix, name } = splitName(path);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, entry.mode);
  writeOctal(h, 108, 8, 0); // uid
  writeOctal(h, 116, 8, 0); // gid
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, 0); // mtime
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  writeString(h, 156, 1, entry.type === "file" ? "0" : "5");
  writeString(h, 257, 6, "ustar\0");
  writeString(h, 263, 2, "00");
  writeString(h, 265, 32, "root");
  writeString(h, 297, 32, "root");
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === "file" ? entry.data : Buffer.alloc(0);
    parts.push(header(entry, data.length), data);
    const padding = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(BLOCK * 2)); // end-of-archive marker
  return Buffer.concat(parts);
}

// Turns a flat map of file paths into entries with every parent directory listed
// first, in a stable order, because extractors (and containerd's differ) expect
// directories to exist before their contents.
export function entriesFromFiles(files: ReadonlyMap<string, { data: Buffer; mode: number }>): TarEntry[] {
  const dirs = new Set<string>();
  const clean = new Map<string, { data: Buffer; mode: number }>();
  for (const [raw, file] of files) {
    const path = raw.replace(/^\/+/, "");
    if (path === "" || path.endsWith("/") || path.split("/").some((p) => p === ".." || p === "." || p === "")) {
      throw new Error(`tar: bad file path "${raw}"`);
    }
    clean.set(path, file);
    const segments = path.split("/");
    for (let i = 1; i < segments.length; i++) dirs.add(segments.slice(0, i).join("/"));
  }
  const entries: TarEntry[] = [];
  for (const dir of [...dirs].sort()) entries.push({ type: "dir", path: dir, mode: 0o755 });
  for (const path of [...clean.keys()].sort()) {
    const file = clean.get(path);
    if (file) entries.push({ type: "file", path, data: file.data, mode: file.mode });
  }
  return entries;
}
