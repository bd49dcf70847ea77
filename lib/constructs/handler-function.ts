import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

import { AssetHashType, DockerImage, Duration, type ILocalBundling, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Code, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';

import { HANDLER_METADATA_KEY, handlerEntry, type HandlerName, prebuiltBundleDir, PROJECT_ROOT, RUNS_COMPILED } from '../handlers.js';
import { acknowledgeNag } from '../nag.js';
import { handlerBuildOptions } from './bundling.js';

/** Settings every Tourniquet function shares (Powertools, source-mapped stack traces). */
export const COMMON_ENVIRONMENT: Readonly<Record<string, string>> = {
  POWERTOOLS_SERVICE_NAME: 'tourniquet',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
};

/**
 * Builds a handler bundle with esbuild's API in this process, with the options of
 * lib/constructs/bundling.ts (the bench builds with the same ones).
 *
 * This is what NodejsFunction does (`Code.fromAsset(projectRoot, { assetHashType: OUTPUT, bundling })`
 * with local bundling) minus its runner: with esbuild installed in the project, NodejsFunction
 * spawns `npx --no-install esbuild` for every function (CDK uses the package manager's bin runner
 * whenever `require('esbuild/package.json')` resolves; no prop changes that), ~0.4 s of npm start-up
 * per function. Skipping bundling (`aws:cdk:bundling-stacks`) works as before: CDK never calls
 * `tryBundle` then.
 */
class EsbuildLocalBundling implements ILocalBundling {
  /**
   * The build options, as data: CDK caches staged assets by a hash of the JSON of the bundling
   * options (functions drop out), so they must be here for every handler to get its own bundle.
   */
  public readonly options: BuildOptions;

  constructor(handler: HandlerName) {
    this.options = handlerBuildOptions(handlerEntry(handler), '.');
  }

  public tryBundle(outputDir: string): boolean {
    // esbuild is a development dependency: loaded only when bundling from the sources, never by the installed package.
    const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    buildSync({ ...this.options, outdir: outputDir });
    return true;
  }
}

/**
 * The bundled code of a handler: `index.mjs`, its lazily loaded `chunks/`, their maps; hashed by content.
 * Compiled (the npm package), the bundle `npm run build` wrote with the same options; from the sources, esbuild at synth.
 */
function handlerCode(handler: HandlerName): Code {
  if (RUNS_COMPILED) {
    const dir = prebuiltBundleDir(handler);
    if (!existsSync(`${dir}/index.mjs`))
      throw new Error(`Tourniquet: the prebuilt bundle of ${handler} is missing (${dir}/index.mjs); reinstall the package, or run npm run build in its repository`);
    return Code.fromAsset(dir);
  }
  return Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling always succeeds or throws. CDK requires an image all the same.
      image: DockerImage.fromRegistry('dummy'),
      local: new EsbuildLocalBundling(handler),
    },
  });
}

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
      code: handlerCode(props.handler),
      handler: 'index.handler',
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
    });
    (this.function.node.defaultChild as CfnFunction).addMetadata(HANDLER_METADATA_KEY, props.handler);

    acknowledgeNag(this.role, 'AwsSolutions-IAM5', 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.', ['Resource::*']);
    acknowledgeNag(
      this.function,
      'AwsSolutions-L1',
      'Node.js 22 is the runtime the handlers, the drill and CI are tested on; moving to a newer one is a deliberate, tested change.',
    );
  }
}
