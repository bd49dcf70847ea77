import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

import type { TourniquetConfig } from '../../lambdas/core/config.js';
import { FUNCTION_MANIFEST } from '../../lambdas/runtime/manifest.js';
import { READINESS_HANDLER } from '../handlers.js';
import type { ConfigLayer } from './config-layer.js';
import { grantManifest, manifestEnvironment } from './function-access.js';
import { HandlerFunction } from './handler-function.js';
import type { IncidentStoreAction, IncidentTable } from './incident-table.js';

/** The incident-store calls of the readiness function: the last verdict of each target (GetItem) and its conditional replacement (PutItem). */
export const READINESS_TABLE_ACTIONS: readonly IncidentStoreAction[] = FUNCTION_MANIFEST.readiness.table;

export interface ReadinessCheckProps {
  /** The validated config: its resources set the role's reads, and its `readinessCheckMinutes` the schedule. */
  readonly config: TourniquetConfig;
  /** The config layer (config.json): the function reads every mitigation's resources from it at cold start. */
  readonly configLayer: ConfigLayer;
  /** Where the last verdict of each target is kept (items `READINESS#…` only). */
  readonly table: IncidentTable;
  /** Where a target that stops (or starts again) being ready is announced. */
  readonly statusTopic: sns.ITopic;
  /** The AppConfig strategy flag changes deploy with: its zero bake is one of the checks. */
  readonly deploymentStrategyId: string;
  /**
   * Minutes between runs.
   * @default config.readinessCheckMinutes (60)
   */
  readonly everyMinutes?: number;
}

/**
 * The scheduled readiness check: an EventBridge schedule invokes the `readiness` function, which runs
 * every configured mitigation's read-only readiness (the catalogue's `readiness`), publishes a
 * `Tourniquet/MitigationReady` metric (1/0, dimensions service and mitigation) per target, and pages
 * the status topic when a target stops being ready, and once more when it is ready again.
 *
 * Its role may read what the mitigations' readiness reads (the catalogue's read statements for the
 * configured resources) and nothing they write; in the table, only the readiness items.
 */
export class ReadinessCheck extends Construct {
  public readonly handler: HandlerFunction;
  public readonly rule: events.Rule;
  /** Minutes between runs. */
  public readonly everyMinutes: number;

  constructor(scope: Construct, id: string, props: ReadinessCheckProps) {
    super(scope, id);
    const { config, table, statusTopic } = props;
    this.everyMinutes = props.everyMinutes ?? config.readinessCheckMinutes;

    this.handler = new HandlerFunction(this, 'Readiness', {
      handler: READINESS_HANDLER,
      description: 'Tourniquet: prove every configured mitigation could run now; MitigationReady metric, page on a change',
      environment: manifestEnvironment(READINESS_HANDLER, {
        TABLE_NAME: table.table.tableName,
        STATUS_TOPIC_ARN: statusTopic.topicArn,
        DEPLOYMENT_STRATEGY_ID: props.deploymentStrategyId,
      }),
      // Every service's checks, one service at a time: ECS history and WAF reads add up.
      timeout: Duration.minutes(2),
    });
    // The whole config exceeds Lambda's 4 KB environment budget; it comes in the config layer instead.
    props.configLayer.attachTo(this.handler);
    // The next scheduled run is the retry: a late or repeated run adds nothing.
    this.handler.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(Math.min(this.everyMinutes, 360)) });

    // Catalogue reads, its own READINESS# items only, and the status topic (lambdas/runtime/manifest.ts).
    grantManifest(this.handler, READINESS_HANDLER, { config, table, topics: { status: statusTopic }, deploymentStrategyId: props.deploymentStrategyId });

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Tourniquet: check every configured mitigation could run (every ${this.everyMinutes} minutes)`,
      schedule: events.Schedule.rate(Duration.minutes(this.everyMinutes)),
      targets: [new targets.LambdaFunction(this.handler.function, { retryAttempts: 2, maxEventAge: Duration.minutes(Math.min(this.everyMinutes, 60)) })],
    });
  }
}
