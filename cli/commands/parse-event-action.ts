import { open } from 'node:fs/promises';

import { AlarmEventInvalidError, MAX_EVENT_BYTES, parseAlarmEventText } from '../../lambdas/core/alarm-event.js';
import type { CommandResult } from './parse-event.js';

/** What `tourniquet parse-event` does, loaded only when it runs (registration: parse-event.ts). */

/** The event input could not be read (missing file, too large, no stdin). */
export class EventInputUnreadableError extends Error {
  override readonly name = 'EventInputUnreadableError';
}

/** A readable stream that may be a terminal (process.stdin). */
export type InputStream = AsyncIterable<string | Uint8Array> & { readonly isTTY?: boolean };

const EXIT_BAD_INPUT = 2;
const EXIT_INTERNAL = 1;

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

function failure(message: string, exitCode: number): CommandResult {
  return { stdout: '', stderr: `tourniquet: ${oneLine(message)}\n`, exitCode };
}

/** Parses event text: one JSON line per signal on stdout, or one `tourniquet: ...` line on stderr. */
export function runParseEvent(text: string): CommandResult {
  try {
    const signals = parseAlarmEventText(text);
    return { stdout: signals.map((signal) => `${JSON.stringify(signal)}\n`).join(''), stderr: '', exitCode: 0 };
  } catch (error) {
    if (error instanceof AlarmEventInvalidError) return failure(`invalid alarm event: ${error.message}`, EXIT_BAD_INPUT);
    return failure(`internal error: ${error instanceof Error ? error.message : String(error)}`, EXIT_INTERNAL);
  }
}

const LIMIT = `the ${MAX_EVENT_BYTES}-byte limit of an alarm event`;

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
};

async function readFileLimited(file: string): Promise<string> {
  const name = `event file ${JSON.stringify(file)}`;
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new EventInputUnreadableError(`cannot read ${name}: ${ERRNO_TEXT[code] ?? (code || String(error))}`, {
      cause: error,
    });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new EventInputUnreadableError(`cannot read ${name}: ${info.isDirectory() ? 'is a directory' : 'not a regular file'}`);
    }
    // Refuse before reading: a mistaken path to a huge file should not fill memory.
    if (info.size > MAX_EVENT_BYTES) throw new EventInputUnreadableError(`${name} is ${info.size} bytes, more than ${LIMIT}`);
    return await handle.readFile({ encoding: 'utf8' });
  } finally {
    await handle.close();
  }
}

async function readStreamLimited(stream: InputStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    size += buffer.byteLength;
    if (size > MAX_EVENT_BYTES) throw new EventInputUnreadableError(`stdin is more than ${LIMIT}`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads the event text from `file`, or from `stdin` when `file` is `-` or absent.
 *
 * @throws EventInputUnreadableError when the file cannot be read, the input is too large, or
 *   stdin is a terminal (nothing was piped in).
 */
export async function readEventInput(file: string | undefined, stdin: InputStream = process.stdin): Promise<string> {
  if (file !== undefined && file !== '-') return readFileLimited(file);
  if (stdin.isTTY) {
    throw new EventInputUnreadableError('no event given: pass a file, or pipe the event JSON on stdin');
  }
  return readStreamLimited(stdin);
}

/** Reads the input and parses it; every failure becomes a {@link CommandResult}. */
export async function parseEventCommand(file: string | undefined, stdin: InputStream = process.stdin): Promise<CommandResult> {
  let text: string;
  try {
    text = await readEventInput(file, stdin);
  } catch (error) {
    if (error instanceof EventInputUnreadableError) return failure(error.message, EXIT_BAD_INPUT);
    return failure(`internal error: ${error instanceof Error ? error.message : String(error)}`, EXIT_INTERNAL);
  }
  return runParseEvent(text);
}
