/**
 * Errors shaped the way SDK v3 clients throw them: `name` is the AWS error code, `$fault` says
 * whose fault it was, `$metadata` carries the HTTP status.
 */
export function sdkError(name: string, message: string, options: { fault?: 'client' | 'server'; status?: number } = {}): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: options.fault ?? 'client',
    $metadata: { httpStatusCode: options.status ?? 400, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 },
  });
}

/** UTF-8 bytes of a JSON document, as GetHostedConfigurationVersion returns `Content`. */
export const jsonBytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** Parses bytes written by an adapter back into JSON. */
export const parseBytes = (bytes: unknown): unknown => {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`expected the content as a Uint8Array, got ${typeof bytes}`);
  return JSON.parse(new TextDecoder().decode(bytes));
};
