import { createHash } from 'node:crypto';

/**
 * Helpers for events Tourniquet could not read: enough to name them in a page and to find the
 * whole event again in the logs.
 */

/** The event as JSON, cut to `max` characters for a page. */
export function excerpt(event: unknown, max = 2000): string {
  let text: string;
  try {
    text = JSON.stringify(event) ?? String(event);
  } catch {
    text = String(event);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `raw-1a2b3c4d5e6f`: the same event always gets the same id, so a redelivery is recognisable in the logs. */
export function rawEventId(event: unknown): string {
  return `raw-${createHash('sha256').update(excerpt(event, Number.MAX_SAFE_INTEGER)).digest('hex').slice(0, 12)}`;
}

const printable = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value.replace(/[^\x20-\x7E]/g, '?').slice(0, 60) : undefined);

/**
 * The alarm name of an event that failed to parse, when one can be found: an EventBridge alarm
 * event (`detail.alarmName`), an SNS alarm notification (`AlarmName` in the message JSON) or an
 * SNS-to-Lambda batch (`Records[].Sns.Message`). Best effort; never throws.
 */
export function alarmNameIn(event: unknown): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an untrusted shape, read field by field with checks
    const e = event as Record<string, any> | null;
    const fromMessage = (message: unknown) => {
      const parsed = typeof message === 'string' ? (JSON.parse(message) as Record<string, unknown>) : (message as Record<string, unknown> | undefined);
      return printable(parsed?.AlarmName) ?? printable((parsed?.detail as Record<string, unknown> | undefined)?.alarmName);
    };
    return (
      printable(e?.detail?.alarmName) ??
      printable(e?.AlarmName) ??
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an untrusted shape, read field by field with checks
      (Array.isArray(e?.Records) ? e.Records.map((r: any) => safe(() => fromMessage(r?.Sns?.Message))).find(Boolean) : undefined) ??
      (e?.Message !== undefined ? safe(() => fromMessage(e.Message)) : undefined)
    );
  } catch {
    return undefined;
  }
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
