/**
 * Errors raised by the incident store. Step Functions matches Catch/Retry on `error.name`,
 * so every class has its own stable name.
 */

/** A DynamoDB call failed, or the store met data it cannot trust. Wraps the SDK error as `cause`. */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  /** The SDK error's name (e.g. `ConditionalCheckFailedException`), when the cause is an SDK error. */
  readonly code: string | undefined;
  /** For a cancelled transaction: one code per item, in request order (`None`, `ConditionalCheckFailed`, ...). */
  readonly cancellationCodes: readonly string[] | undefined;

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    const cause = options.cause as { name?: unknown; CancellationReasons?: unknown } | undefined;
    this.code = typeof cause?.name === 'string' ? cause.name : undefined;
    this.cancellationCodes = Array.isArray(cause?.CancellationReasons)
      ? cause.CancellationReasons.map((reason: { Code?: string } | undefined) => reason?.Code ?? 'None')
      : undefined;
  }
}

/** No incident with this id exists. */
export class IncidentNotFoundError extends StoreError {
  override readonly name: string = 'IncidentNotFoundError';
  constructor(readonly incidentId: string) {
    super(`incident ${incidentId} not found`);
  }
}

/** No action record with this cursor and type exists for the incident. */
export class ActionNotFoundError extends StoreError {
  override readonly name: string = 'ActionNotFoundError';
  constructor(
    readonly incidentId: string,
    readonly cursor: number,
    readonly type: string,
  ) {
    super(`incident ${incidentId} has no action #${cursor} (${type})`);
  }
}

/** Data given to the store, or read back from the table, does not match its schema. The zod error is the `cause`. */
export class RecordInvalidError extends StoreError {
  override readonly name: string = 'RecordInvalidError';
}

/** The invocation no longer holds the action's claim: its lease ran out and another attempt took over. */
export class ClaimLostError extends StoreError {
  override readonly name: string = 'ClaimLostError';
  constructor(
    readonly incidentId: string,
    readonly cursor: number,
    readonly type: string,
    readonly owner: string,
  ) {
    super(`the claim on action #${cursor} (${type}) of incident ${incidentId} is no longer held by ${owner}; another attempt took it over`);
  }
}

/** DynamoDB error names that mean "try again later": throttling and server-side faults. */
const TRANSIENT_DYNAMODB_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionInProgressException',
]);

/**
 * The table is throttled or briefly unavailable (after the SDK's own retries). Named like the
 * adapters' transient errors so the workflow's Retry backs off and runs the step again, instead of
 * escalating an incident because DynamoDB was busy for a minute.
 */
export class StoreUnavailableError extends StoreError {
  override readonly name: string = 'TransientAwsError';
}

/** The StoreError for a failed DynamoDB call: retryable when DynamoDB says it is throttled or unavailable. */
export function storeErrorFor(message: string, cause: unknown): StoreError {
  const name = (cause as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && TRANSIENT_DYNAMODB_ERRORS.has(name) ? new StoreUnavailableError(message, { cause }) : new StoreError(message, { cause });
}
