/**
 * Error classes shared by the AWS adapters, and the one place that decides what an SDK error means.
 *
 * The state machine matches errors by `name`: it retries `TransientAwsError` with backoff and
 * sends everything else to escalation. So the classification here decides whether a failure is
 * worth waiting for (throttling, a service hiccup, a deployment already in progress) or needs a
 * human (missing permission, a resource that is not there, bad input).
 */

/** A failure that is expected to go away on its own; the state machine retries on this name. */
export class TransientAwsError extends Error {
  override readonly name = 'TransientAwsError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The function's role may not perform the call (IAM, SCP, resource policy, KMS key policy). */
export class AwsAccessDeniedError extends Error {
  // Typed as string, not a literal, so subclasses such as AlarmAccessDeniedError can name themselves.
  override readonly name: string = 'AwsAccessDeniedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The resource named in the call does not exist (or no longer does). Subclasses narrow the kind. */
export class AwsResourceNotFoundError extends Error {
  // Typed as string, not a literal, so subclasses such as AlarmNotFoundError can name themselves.
  override readonly name: string = 'AwsResourceNotFoundError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Any other AWS failure (validation, limits, unknown errors): not retried, escalated with its cause. */
export class AwsOperationError extends Error {
  override readonly name = 'AwsOperationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Error names that mean "try again later". Besides throttling and server faults this includes
 * `ConflictException`: for AppConfig it means another deployment is in progress in the environment
 * (or a concurrent hosted version write), and re-running the step after a backoff re-reads state,
 * which is the right response to every conflict of the services Tourniquet calls.
 */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'KMSThrottlingException',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerException',
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'InternalErrorException',
  'InternalServiceFault',
  'ServerException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ConflictException',
  'ConcurrentModificationException',
  'PriorRequestNotComplete',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
]);

const ACCESS_DENIED_NAMES: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'AuthorizationErrorException',
  'AuthorizationError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'KMSAccessDeniedException',
]);

const NOT_FOUND_NAMES: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'ResourceNotFound',
  'NotFoundException',
  'NotFound',
  'ServiceNotFoundException',
  'ClusterNotFoundException',
  'ServiceNotActiveException',
  'NoSuchHostedZone',
  'NoSuchHealthCheck',
  'WAFNonexistentItemException',
  'StateMachineDoesNotExist',
  'ExecutionDoesNotExist',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The error's code as the SDK reports it (`name` for SDK v3, `code` for Node network errors). */
export function awsErrorName(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as SdkErrorShape;
  // Node's network errors keep the useful part in `code` and a generic "Error" in `name`.
  for (const candidate of [e.name !== 'Error' ? e.name : undefined, e.code, e.Code, e.name]) {
    if (typeof candidate === 'string' && candidate.length > 0) return candidate;
  }
  return undefined;
}

const alreadyClassified = (err: unknown): err is Error =>
  err instanceof TransientAwsError || err instanceof AwsAccessDeniedError || err instanceof AwsResourceNotFoundError || err instanceof AwsOperationError;

/**
 * Maps an error thrown by an SDK v3 call to one of the adapter error classes, keeping the original
 * as `cause`. Errors that are already classified pass through unchanged, so nested calls do not
 * wrap twice.
 *
 * @param err what the SDK threw
 * @param operation the call that failed, e.g. `"AppConfig StartDeployment"`
 * @param resource what it was called on, e.g. `"application chk4app, environment prd5env"`
 */
export function classifyAwsError(err: unknown, operation: string, resource?: string): Error {
  if (alreadyClassified(err)) return err;
  const name = awsErrorName(err) ?? 'UnknownError';
  const detail = typeof err === 'object' && err !== null && typeof (err as SdkErrorShape).message === 'string' ? ((err as SdkErrorShape).message as string) : String(err);
  const where = resource ? `${operation} on ${resource}` : operation;
  const message = `${where} failed: ${name}: ${detail}`;
  const shape = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;

  if (ACCESS_DENIED_NAMES.has(name)) return new AwsAccessDeniedError(message, { cause: err });
  if (NOT_FOUND_NAMES.has(name)) return new AwsResourceNotFoundError(message, { cause: err });
  const transient =
    TRANSIENT_NAMES.has(name) ||
    shape.$fault === 'server' ||
    // The SDK marks errors it considers retryable (throttling among them) after its own retries ran out.
    (typeof shape.$retryable === 'object' && shape.$retryable !== null) ||
    status === 429 ||
    (status !== undefined && status >= 500);
  if (transient) return new TransientAwsError(message, { cause: err });
  return new AwsOperationError(message, { cause: err });
}

/**
 * Runs one SDK call and classifies whatever it throws. Keeps each adapter method a straight line
 * of calls instead of a ladder of try/catch blocks.
 */
export async function callAws<T>(operation: string, resource: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyAwsError(err, operation, resource);
  }
}
