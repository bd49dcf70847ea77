import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';

/**
 * Headless Chromium for tests that must see a page rendered (the drill's HTML report): the Debian
 * package's binary, run once per question with no network, no profile of its own to keep and no GPU.
 */

export const CHROMIUM = '/usr/bin/chromium';

/** Throws the install hint when Chromium is missing: a test that needs it fails, it does not skip. */
export function requireChromium(): string {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (Debian; .ci/run installs it when missing)`);
  }
  return CHROMIUM;
}

const run = promisify(execFile);

/** Runs headless Chromium on a local file with one output flag; returns stdout. */
async function chromium(file: string, output: string[], windowSize = '1100,1400'): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'tourniquet-chromium-'));
  try {
    const { stdout } = await run(
      requireChromium(),
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--window-size=${windowSize}`,
        ...output,
        pathToFileURL(file).href,
      ],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The DOM as Chromium parsed it (after any script, of which the report has none). */
export function dumpDom(file: string): Promise<string> {
  return chromium(file, ['--dump-dom']);
}

/** A screenshot of the page's first `width × height` CSS pixels, decoded. */
export async function screenshot(file: string, width = 1100, height = 1400): Promise<Png> {
  const dir = mkdtempSync(join(tmpdir(), 'tourniquet-shot-'));
  try {
    const png = join(dir, 'shot.png');
    await chromium(file, [`--screenshot=${png}`], `${width},${height}`);
    return decodePng(readFileSync(png));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An 8-bit RGB(A) image: `pixel(x, y)` is [r, g, b]. */
export interface Png {
  readonly width: number;
  readonly height: number;
  pixel(x: number, y: number): [number, number, number];
}

/** Decodes a non-interlaced 8-bit truecolour PNG (what Chromium's --screenshot writes). */
export function decodePng(data: Buffer): Png {
  if (data.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) throw new Error(`unsupported PNG (bit depth ${depth}, colour type ${colour}, interlace ${interlace})`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') {
      idat.push(body);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? pixels[y * stride + i - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i]! : 0;
      const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels]! : 0;
      const x = line[i]!;
      let value: number;
      if (filter === 0) value = x;
      else if (filter === 1) value = x + a;
      else if (filter === 2) value = x + b;
      else if (filter === 3) value = x + Math.floor((a + b) / 2);
      else {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        value = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      pixels[y * stride + i] = value & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const i = y * stride + x * channels;
      return [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!];
    },
  };
}
