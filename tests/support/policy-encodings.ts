// The encodings user data goes through, applied at test time. Each step wraps a payload and says
// which layer path the scanner must report for what is inside it (outermost first).
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";

export interface Step {
  readonly name: StepName;
  /** True when the step needs a text payload (it embeds it in a text document as is). */
  readonly textOnly: boolean;
  /** True when the result is binary. */
  readonly binary: boolean;
  /** The layers the scanner reports for this step, outermost first. */
  readonly layers: readonly string[];
  readonly apply: (payload: Buffer) => Buffer;
}

export type StepName =
  | "base64"
  | "base64-wrapped"
  | "gzip"
  | "mime-base64"
  | "mime-quoted-printable"
  | "mime-7bit"
  | "cloud-config-b64"
  | "cloud-config-gz-b64"
  | "cloud-config-gzip"
  | "script-base64-d"
  | "script-heredoc"
  | "powershell-encoded"
  | "hex"
  | "xxd-heredoc"
  | "percent"
  | "zlib"
  | "powershell-deflate"
  | "brotli-pipe";

const wrap = (text: string, width: number, indent = ""): string => {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(indent + text.slice(i, i + width));
  return lines.join("\n");
};

const b64 = (b: Buffer): string => b.toString("base64");

let boundaries = 0;

const mime = (part: string): Buffer => {
  const boundary = `==BOUNDARY-${++boundaries}==`;
  return Buffer.from(
    [
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      "MIME-Version: 1.0",
      "",
      `--${boundary}`,
      'Content-Type: text/cloud-config; charset="us-ascii"',
      "",
      "#cloud-config",
      "packages: [nginx]",
      "",
      `--${boundary}`,
      part,
      `--${boundary}--`,
      "",
    ].join("\n"),
  );
};

/** Quoted-printable with `=XX` for everything outside printable ASCII and soft breaks at 76 columns. */
export function encodeQuotedPrintable(b: Buffer): string {
  let out = "";
  let col = 0;
  for (const byte of b) {
    let piece: string;
    if (byte === 10) {
      out += "\n";
      col = 0;
      continue;
    }
    if (byte >= 33 && byte <= 126 && byte !== 61) piece = String.fromCharCode(byte);
    else piece = `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    if (col + piece.length > 75) {
      out += "=\n";
      col = 0;
    }
    out += piece;
    col += piece.length;
  }
  return out;
}

const cloudConfig = (encoding: string, content: string): Buffer =>
  Buffer.from(
    [
      "#cloud-config",
      "write_files:",
      "  - path: /etc/app/app.env",
      `    encoding: ${encoding}`,
      `    content: ${content}`,
      "runcmd:",
      "  - systemctl restart app",
      "",
    ].join("\n"),
  );

export const steps: Readonly<Record<StepName, Step>> = {
  base64: { name: "base64", textOnly: false, binary: false, layers: ["base64"], apply: (b) => Buffer.from(b64(b)) },
  "base64-wrapped": {
    name: "base64-wrapped",
    textOnly: false,
    binary: false,
    layers: ["base64"],
    apply: (b) => Buffer.from(`${wrap(b64(b), 76)}\n`),
  },
  gzip: { name: "gzip", textOnly: false, binary: true, layers: ["gzip"], apply: (b) => gzipSync(b) },
  "mime-base64": {
    name: "mime-base64",
    textOnly: false,
    binary: false,
    layers: ["MIME part 2", "base64"],
    apply: (b) => mime(`Content-Type: text/x-shellscript\nContent-Transfer-Encoding: base64\n\n${wrap(b64(b), 76)}\n`),
  },
  "mime-quoted-printable": {
    name: "mime-quoted-printable",
    textOnly: false,
    binary: false,
    layers: ["MIME part 2", "quoted-printable"],
    apply: (b) =>
      mime(
        `Content-Type: text/x-shellscript\nContent-Transfer-Encoding: quoted-printable\n\n${encodeQuotedPrintable(b)}`,
      ),
  },
  "mime-7bit": {
    name: "mime-7bit",
    textOnly: true,
    binary: false,
    layers: ["MIME part 2"],
    apply: (b) => mime(`Content-Type: text/x-shellscript\n\n${b.toString("utf8")}\n`),
  },
  "cloud-config-b64": {
    name: "cloud-config-b64",
    textOnly: false,
    binary: false,
    layers: ["base64 (line 5)"],
    apply: (b) => cloudConfig("b64", b64(b)),
  },
  "cloud-config-gz-b64": {
    name: "cloud-config-gz-b64",
    textOnly: false,
    binary: false,
    layers: ["base64 (line 6)", "gzip"],
    apply: (b) => cloudConfig("gz+b64", `|\n${wrap(b64(gzipSync(b)), 60, "      ")}`),
  },
  "cloud-config-gzip": {
    name: "cloud-config-gzip",
    textOnly: false,
    binary: false,
    layers: ["base64 (line 6)", "gzip"],
    apply: (b) => cloudConfig("gzip", `!!binary |\n${wrap(b64(gzipSync(b)), 60, "      ")}`),
  },
  "script-base64-d": {
    name: "script-base64-d",
    textOnly: false,
    binary: false,
    layers: ["base64 (line 3)"],
    apply: (b) => Buffer.from(`#!/bin/bash\nset -euo pipefail\necho "${b64(b)}" | base64 -d > /etc/app/app.env\n`),
  },
  "script-heredoc": {
    name: "script-heredoc",
    textOnly: false,
    binary: false,
    layers: ["base64 (line 3)", "gzip"],
    apply: (b) =>
      Buffer.from(`#!/bin/bash\nbase64 -d <<'EOF' | gunzip > /etc/app/app.env\n${wrap(b64(gzipSync(b)), 76)}\nEOF\n`),
  },
  "powershell-encoded": {
    name: "powershell-encoded",
    textOnly: true,
    binary: false,
    layers: ["base64 (line 2)"],
    apply: (b) =>
      Buffer.from(
        `<powershell>\npowershell.exe -NoProfile -EncodedCommand ${b64(Buffer.from(b.toString("utf8"), "utf16le"))}\n</powershell>\n`,
      ),
  },
  hex: { name: "hex", textOnly: false, binary: false, layers: ["hex"], apply: (b) => Buffer.from(b.toString("hex")) },
  "xxd-heredoc": {
    name: "xxd-heredoc",
    textOnly: false,
    binary: false,
    layers: ["hex (line 3)"],
    apply: (b) =>
      Buffer.from(`#!/bin/bash\nxxd -r -p <<'EOF' > /etc/app/app.env\n${wrap(b.toString("hex"), 60)}\nEOF\n`),
  },
  percent: {
    name: "percent",
    textOnly: false,
    binary: false,
    layers: ["percent-encoding"],
    apply: (b) => Buffer.from(percentEncodeAll(b)),
  },
  zlib: { name: "zlib", textOnly: false, binary: true, layers: ["zlib"], apply: (b) => deflateSync(b) },
  "powershell-deflate": {
    name: "powershell-deflate",
    textOnly: false,
    binary: false,
    layers: ["base64 (line 2)", "deflate"],
    apply: (b) =>
      Buffer.from(
        `<powershell>\n$d = [Convert]::FromBase64String("${b64(deflateRawSync(b))}")\n$s = New-Object IO.Compression.DeflateStream([IO.MemoryStream]$d, [IO.Compression.CompressionMode]::Decompress)\n(New-Object IO.StreamReader($s)).ReadToEnd() | Out-File C:\\app\\app.env\n</powershell>\n`,
      ),
  },
  "brotli-pipe": {
    name: "brotli-pipe",
    textOnly: false,
    binary: false,
    layers: ["base64 (line 2)", "brotli"],
    apply: (b) =>
      Buffer.from(`#!/bin/bash\necho ${b64(brotliCompressSync(b))} | base64 -d | brotli -d > /etc/app/app.env\n`),
  },
};

/** Every byte as `%XX`, as an obfuscator does (a URL keeps unreserved characters literal). */
export function percentEncodeAll(b: Buffer): string {
  let out = "";
  for (const byte of b) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

export const stepNames = Object.keys(steps) as StepName[];

/** Applies a chain, innermost first; returns the encoded bytes and the layer path the scanner reports. */
export function encode(payload: string | Buffer, chain: readonly StepName[]): { bytes: Buffer; layer: string } {
  let bytes = typeof payload === "string" ? Buffer.from(payload) : payload;
  let layers: string[] = [];
  for (const name of chain) {
    const step = steps[name];
    bytes = step.apply(bytes);
    layers = [...step.layers, ...layers];
  }
  return { bytes, layer: layers.length === 0 ? "raw" : layers.join(" > ") };
}

/** True when `chain` is valid: text-only steps never receive binary. */
export function validChain(chain: readonly StepName[]): boolean {
  let binary = false;
  for (const name of chain) {
    const step = steps[name];
    if (step.textOnly && binary) return false;
    binary = step.binary;
  }
  return true;
}
