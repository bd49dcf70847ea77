import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Command } from 'commander';

import { registerParseEvent } from '../../cli/commands/parse-event.js';
import { EventInputUnreadableError, type InputStream, parseEventCommand, readEventInput, runParseEvent } from '../../cli/commands/parse-event-action.js';
import { parseAlarmEventText } from '../../lambdas/core/alarm-event.js';

const fixturePath = (name: string) => fileURLToPath(new URL(`../fixtures/events/${name}`, import.meta.url));
const fixtureText = (name: string) => readFileSync(fixturePath(name), 'utf8');

/** A piped (non-terminal) stdin carrying `chunks`. */
const pipe = (...chunks: Array<string | Buffer>): InputStream => Readable.from(chunks);

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'tourniquet-parse-event-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function expectOneErrorLine(stderr: string, text: string): void {
  expect(stderr).toBe(`tourniquet: ${text}\n`);
}

describe('runParseEvent', () => {
  it('prints exactly one JSON line for a single event', () => {
    const result = runParseEvent(fixtureText('eventbridge-single-metric.json'));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(2); // one line and the final newline
    expect(lines[1]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual(parseAlarmEventText(fixtureText('eventbridge-single-metric.json'))[0]);
  });

  it('prints one line per SNS record, in order', () => {
    const result = runParseEvent(fixtureText('sns-lambda-multi-record.json'));
    expect(result.exitCode).toBe(0);
    const signals = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { alarmName: string });
    expect(signals.map((s) => s.alarmName)).toEqual(['checkout-5xx-rate', 'checkout-unhealthy']);
  });

  it('reports an invalid event on one stderr line with exit code 2', () => {
    const event = JSON.parse(fixtureText('eventbridge-single-metric.json'));
    event.detail.state.value = 'BROKEN';
    const result = runParseEvent(JSON.stringify(event));
    expect(result).toEqual({
      stdout: '',
      stderr: 'tourniquet: invalid alarm event: detail.state.value: unknown alarm state "BROKEN" (expected OK, ALARM or INSUFFICIENT_DATA)\n',
      exitCode: 2,
    });
  });

  it('reports text that is not JSON without a stack trace', () => {
    const result = runParseEvent('{"AlarmName": \n');
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^tourniquet: invalid alarm event: input: not valid JSON \(.+\)\n$/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports prototype-pollution keys as invalid input', () => {
    const result = runParseEvent('{"__proto__": {"admin": true}}');
    expect(result.exitCode).toBe(2);
    expectOneErrorLine(result.stderr, 'invalid alarm event: __proto__: forbidden key "__proto__" refused (prototype pollution guard)');
  });
});

describe('readEventInput', () => {
  it('reads a file', async () => {
    await expect(readEventInput(fixturePath('eventbridge-composite.json'), pipe())).resolves.toBe(fixtureText('eventbridge-composite.json'));
  });

  it('reads stdin for "-" and when no file is given, joining chunks', async () => {
    await expect(readEventInput('-', pipe('{"a":', Buffer.from('1}')))).resolves.toBe('{"a":1}');
    await expect(readEventInput(undefined, pipe('{}'))).resolves.toBe('{}');
  });

  it('refuses a terminal as stdin instead of waiting for typing', async () => {
    const tty: InputStream = Object.assign(Readable.from([]), { isTTY: true });
    await expect(readEventInput(undefined, tty)).rejects.toThrow(new EventInputUnreadableError('no event given: pass a file, or pipe the event JSON on stdin'));
  });
});

describe('parseEventCommand', () => {
  it('parses a file argument', async () => {
    const result = await parseEventCommand(fixturePath('sns-notification-anomaly-detection.json'), pipe());
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ alarmName: 'checkout-p99-latency', kind: 'anomaly-detection' });
  });

  it('parses stdin', async () => {
    const result = await parseEventCommand('-', pipe(fixtureText('classic-alarm-composite.json')));
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ alarmName: 'checkout-unhealthy', kind: 'composite' });
  });

  it('exits 2 with one line for a missing file', async () => {
    const missing = join(scratch, 'missing.json');
    const result = await parseEventCommand(missing, pipe());
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expectOneErrorLine(result.stderr, `cannot read event file ${JSON.stringify(missing)}: no such file`);
  });

  it('exits 2 for a directory', async () => {
    const result = await parseEventCommand(scratch, pipe());
    expect(result.exitCode).toBe(2);
    expectOneErrorLine(result.stderr, `cannot read event file ${JSON.stringify(scratch)}: is a directory`);
  });

  it('exits 2 for a file over the size limit, without parsing it', async () => {
    const big = join(scratch, 'big.json');
    writeFileSync(big, ' '.repeat(300_000));
    const result = await parseEventCommand(big, pipe());
    expect(result.exitCode).toBe(2);
    expectOneErrorLine(result.stderr, `event file ${JSON.stringify(big)} is 300000 bytes, more than the 262144-byte limit of an alarm event`);
  });

  it('exits 2 for stdin over the size limit', async () => {
    const result = await parseEventCommand('-', pipe(' '.repeat(200_000), ' '.repeat(200_000)));
    expect(result.exitCode).toBe(2);
    expectOneErrorLine(result.stderr, 'stdin is more than the 262144-byte limit of an alarm event');
  });
});

describe('registerParseEvent', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    process.exitCode = undefined;
  });

  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
    return { out, err };
  }

  const program = () => {
    const root = new Command('tourniquet').exitOverride();
    registerParseEvent(root);
    return root;
  };

  it('adds a parse-event command that prints signals and leaves exit code 0', async () => {
    const { out, err } = capture();
    await program().parseAsync(['parse-event', fixturePath('eventbridge-metric-math.json')], { from: 'user' });
    expect(err).toEqual([]);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({ alarmName: 'TotalNetworkTrafficTooHigh', kind: 'metric-math' });
    expect(process.exitCode).toBe(0);
  });

  it('sets exit code 2 and writes one stderr line for a missing file', async () => {
    const { out, err } = capture();
    await program().parseAsync(['parse-event', join(scratch, 'nope.json')], { from: 'user' });
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^tourniquet: cannot read event file ".*nope\.json": no such file\n$/);
    expect(process.exitCode).toBe(2);
  });
});
