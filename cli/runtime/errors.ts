/**
 * The one place the CLI turns a failure into what an operator reads: one line on stderr with the
 * cause and a hint, and an exit code. Never a stack trace. 2 means fix what you gave (flags,
 * arguments, region, credentials, a stack or table that is not there); 1 means AWS or Tourniquet
 * failed although the input was usable (access denied, throttling, a service fault, a bug).
 */

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** A failure the CLI already phrased for an operator. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: typeof EXIT_FAILURE | typeof EXIT_BAD_INPUT = EXIT_BAD_INPUT,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the command was working with when it failed, for the hint (filled in as it is learned). */
export interface FailureContext {
  region?: string;
  table?: string;
  stack?: string;
}

export const NO_REGION = 'no AWS region: pass --region or set AWS_REGION';
export const NO_CREDENTIALS = 'no AWS credentials: set AWS_PROFILE (after aws configure or aws sso login) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'RequestExpired']);
const REJECTED = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidAccessKeyId',
]);
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'AuthorizationErrorException', 'AuthorizationError', 'UnauthorizedOperation', 'KMSAccessDeniedException']);
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
]);
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'TimeoutError']);
/** Errors the store and operations raise for input that names nothing usable. */
const INPUT_ERRORS = new Set(['IncidentNotFoundError', 'ActionNotFoundError', 'IncidentActionError', 'ConfigError', 'ZodError']);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  hostname?: unknown;
}

const nameOf = (e: ErrorShape): string => {
  const code = typeof e.code === 'string' ? e.code : undefined;
  const name = typeof e.name === 'string' ? e.name : undefined;
  return (name && name !== 'Error' ? name : code) ?? name ?? 'Error';
};
const firstLine = (e: ErrorShape): string =>
  String(e.message ?? e)
    .split('\n')[0]!
    .trim();

/** The error and every `cause` under it, outermost first (the store and adapters wrap SDK errors). */
function chain(error: unknown): ErrorShape[] {
  const out: ErrorShape[] = [];
  for (let e: unknown = error; typeof e === 'object' && e !== null && out.length < 8; e = (e as ErrorShape).cause) out.push(e as ErrorShape);
  return out.length > 0 ? out : [{ message: String(error) }];
}

/** "User: arn:… is not authorized to perform: dynamodb:Query on resource: arn:…" → action and resource. */
function deniedWhat(message: string): { action: string; resource?: string } | undefined {
  const m = /perform:\s*(\S+)(?:\s+on resource:\s*(\S+))?/i.exec(message);
  return m ? { action: m[1]!, ...(m[2] ? { resource: m[2].replace(/[.,]$/, '') } : {}) } : undefined;
}

/**
 * One line and an exit code for any failure: the CLI's own errors as phrased, AWS errors (found
 * anywhere in the cause chain) as cause + hint, anything else as its name and first line.
 */
export function describeFailure(error: unknown, context: FailureContext = {}): { message: string; exitCode: number } {
  const errors = chain(error);
  const outer = errors[0]!;
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  const where = context.region ? ` in ${context.region}` : '';
  for (const e of errors) {
    const name = nameOf(e);
    const text = firstLine(e);
    if (/region is missing/i.test(text) || name === 'RegionMissingError') return { message: NO_REGION, exitCode: EXIT_BAD_INPUT };
    if (name === 'CredentialsProviderError' || /could not load credentials/i.test(text)) return { message: NO_CREDENTIALS, exitCode: EXIT_BAD_INPUT };
    if (EXPIRED.has(name) || /token .*expired/i.test(text))
      return { message: `AWS credentials expired (${name}): refresh them (e.g. aws sso login) and run it again`, exitCode: EXIT_BAD_INPUT };
    if (REJECTED.has(name))
      return {
        message: `AWS does not accept your credentials (${name}): check AWS_PROFILE or the access key, and that the region${context.region ? ` ${context.region}` : ''} is enabled for the account`,
        exitCode: EXIT_BAD_INPUT,
      };
    if (DENIED.has(name)) {
      const what = deniedWhat(text);
      return {
        message: what ? `access denied: ${what.action}${what.resource ? ` on ${what.resource}` : ''}: use credentials whose role allows it` : `access denied (${name}): ${text}`,
        exitCode: EXIT_FAILURE,
      };
    }
    if (name === 'ResourceNotFoundException' && context.table && /table|requested resource/i.test(text))
      return { message: `table ${context.table} not found${where}: check --table (or --stack) and --region`, exitCode: EXIT_BAD_INPUT };
    if (UNREACHABLE.has(name))
      return {
        message: `cannot reach AWS${where} (${name}${typeof e.hostname === 'string' ? ` ${e.hostname}` : ''}): check the network, any proxy and --region`,
        exitCode: EXIT_FAILURE,
      };
    if (THROTTLED.has(name)) return { message: `AWS is throttling or briefly unavailable (${name}): run it again in a moment`, exitCode: EXIT_FAILURE };
  }
  const name = nameOf(outer);
  if (name === 'IncidentNotFoundError' && context.table)
    return { message: `${firstLine(outer)} in table ${context.table}${where}: tourniquet incidents lists the incidents there`, exitCode: EXIT_BAD_INPUT };
  if (INPUT_ERRORS.has(name)) return { message: firstLine(outer), exitCode: EXIT_BAD_INPUT };
  return { message: `${name === 'Error' ? '' : `${name}: `}${firstLine(outer)}`, exitCode: EXIT_FAILURE };
}

/**
 * Runs a command's action: its result is the exit code (undefined = 0); whatever it throws becomes
 * one `tourniquet: …` line on stderr. The action fills `context` as it learns the region and table.
 */
export async function runAction(action: (context: FailureContext) => Promise<number | void>, err: (line: string) => void = (line) => process.stderr.write(line)): Promise<number> {
  const context: FailureContext = {};
  try {
    return (await action(context)) ?? EXIT_OK;
  } catch (error) {
    const { message, exitCode } = describeFailure(error, context);
    err(`tourniquet: ${message}\n`);
    return exitCode;
  }
}
