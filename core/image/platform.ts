/** An OCI platform, as in image indexes and `--platform os/arch[/variant]`. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export class PlatformError extends Error {
  override readonly name = "PlatformError";
}

/** Node's names for CPU architectures differ from Go's, which image indexes use. */
const ARCH_FROM_NODE: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mips64el: "mips64le",
};
/** Aliases people and uname write for the same architectures. */
const ARCH_ALIASES: Record<string, string> = { x86_64: "amd64", "x86-64": "amd64", aarch64: "arm64", armhf: "arm", armel: "arm", i386: "386", i686: "386" };

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** This machine's platform in OCI terms. */
export function nodePlatform(): Platform {
  const architecture = ARCH_FROM_NODE[process.arch] ?? process.arch;
  const os = process.platform === "win32" ? "windows" : process.platform;
  if (architecture === "arm64") return { os, architecture, variant: "v8" };
  if (architecture === "arm") {
    const armVersion = (process.config.variables as { arm_version?: string }).arm_version;
    return { os, architecture, variant: `v${armVersion ?? "7"}` };
  }
  return { os, architecture };
}

const PART = /^[a-z0-9_.-]+$/;

export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
    throw new PlatformError(`platform "${text}" must look like os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8`);
  }
  const bad = parts.find((p) => !PART.test(p));
  if (bad !== undefined) throw new PlatformError(`platform "${text}": "${bad}" has characters a platform cannot have`);
  const [os = "", arch = "", variant] = parts;
  const architecture = ARCH_ALIASES[arch] ?? arch;
  return variant ? { os, architecture, variant } : { os, architecture };
}

function armLevel(variant: string | undefined): number {
  const m = /^v(\d+)$/.exec(variant ?? "");
  return m ? Number(m[1]) : 0;
}

/**
 * Whether a node of platform `node` can run an image built for `image`, as containerd's default
 * matcher decides: same os and architecture; arm64 treats no variant as v8; an armv7 node runs
 * v6 and v5 images; an amd64 node runs images with no variant or v1.
 */
export function platformMatches(node: Platform, image: Platform): boolean {
  if (node.os !== image.os) return false;
  const nodeArch = ARCH_ALIASES[node.architecture] ?? node.architecture;
  const imageArch = ARCH_ALIASES[image.architecture] ?? image.architecture;
  if (nodeArch !== imageArch) return false;
  const nv = node.variant ?? "";
  const iv = image.variant ?? "";
  switch (nodeArch) {
    case "arm64":
      return (iv || "v8") === (nv || "v8");
    case "arm":
      return iv === "" || armLevel(iv) <= armLevel(nv || "v7");
    case "amd64":
      return iv === "" || iv === "v1" || (nv !== "" && armLevel(iv) <= armLevel(nv));
    default:
      return iv === "" || iv === nv;
  }
}
