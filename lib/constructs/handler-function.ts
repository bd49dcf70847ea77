import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../nag.js';
import { HANDLER_METADATA_KEY, type HandlerName, PROJECT_ROOT, handlerEntry } from '../handlers.js';

/** Names of the environment variables the handlers read. Each function gets only the ones it needs. */
export const HANDLER_ENV = {
  tableName: 'TABLE_NAME',
  statusTopicArn: 'STATUS_TOPIC_ARN',
  escalationTopicArn: 'ESCALATION_TOPIC_ARN',
  stateMachineArn: 'STATE_MACHINE_ARN',
  deploymentStrategyId: 'DEPLOYMENT_STRATEGY_ID',
  approvalSecretArn: 'APPROVAL_SECRET_ARN',
  approvalEndpointUrl: 'APPROVAL_ENDPOINT_URL',
  approversTopicArn: 'APPROVERS_TOPIC_ARN',
  approverEmails: 'APPROVER_EMAILS',
} as const;

/** Settings every Tourniquet function shares (Powertools, source-mapped stack traces). */
export const COMMON_ENVIRONMENT: Readonly<Record<string, string>> = {
  POWERTOOLS_SERVICE_NAME: 'tourniquet',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
};

/**
 * Makes the ESM bundle able to load the CommonJS dependencies that still call `require`
 * (esbuild leaves those calls in place when the output format is ESM).
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

export interface HandlerFunctionProps {
  /** Which `lambdas/handlers/<name>.ts` to bundle. */
  readonly handler: HandlerName;
  /** One line on what the function does, shown in the Lambda console. */
  readonly description: string;
  /**
   * Handler-specific environment variables, merged over {@link COMMON_ENVIRONMENT}.
   * @default - only the common variables
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Compile-time constants for esbuild (`--define`), for data too large for the environment.
   * @default - none
   */
  readonly define?: Readonly<Record<string, string>>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Concurrent executions reserved for (and capping) the function.
   * @default - none: the function uses the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * One Tourniquet Lambda: an ESM arm64 Node 22 bundle with its own log group and its own role.
 *
 * The role starts with nothing but write access to the function's log group (instead of the
 * AWS-managed basic execution role, which may write to every log group); callers add exactly
 * the permissions the handler needs.
 */
export class HandlerFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly handlerName: HandlerName;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.handlerName = props.handler;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // The incident record lives in the table; logs are diagnostics and must not block a redeploy.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Tourniquet ${props.handler} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: handlerEntry(props.handler),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...COMMON_ENVIRONMENT, ...props.environment },
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        // Maps keep file/line positions without shipping the sources a second time.
        sourcesContent: false,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Bundle the SDK v3 clients instead of using the runtime's copy: pinned versions, and only the code the handler uses.
        externalModules: [],
        define: props.define ? { ...props.define } : undefined,
        // esbuild's per-file size table is noise in every synth; warnings and errors still show.
        logLevel: LogLevel.WARNING,
      },
    });
    (this.function.node.defaultChild as CfnFunction).addMetadata(HANDLER_METADATA_KEY, props.handler);

    acknowledgeNag(this.role, 'AwsSolutions-IAM5', 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.', [
      'Resource::*',
    ]);
    acknowledgeNag(
      this.function,
      'AwsSolutions-L1',
      'Node.js 22 is the runtime the handlers, the drill and CI are tested on; moving to a newer one is a deliberate, tested change.',
    );
  }
}
