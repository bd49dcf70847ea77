import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

import { CADENCE_SCHEDULE_MINUTES, type CadenceSettings, cadenceSettingsFor } from '../../lambdas/core/cadence.js';
import type { TourniquetConfig } from '../../lambdas/core/config.js';
import { FUNCTION_MANIFEST } from '../../lambdas/runtime/manifest.js';
import { STATUS_CADENCE_HANDLER } from '../handlers.js';
import type { ConfigLayer } from './config-layer.js';
import { grantManifest, manifestEnvironment } from './function-access.js';
import { HandlerFunction } from './handler-function.js';
import type { IncidentStoreAction, IncidentTable } from './incident-table.js';

/**
 * The incident-store calls the cadence function makes: `listActiveEpisodes` (Query on gsi1),
 * `findIncident` (GetItem), `listActions` (Query), `transition` (UpdateItem in a transaction),
 * `claimPage` and `compareAndSetLastNotification` (UpdateItem) and `appendTimeline` (UpdateItem, PutItem).
 */
export const STATUS_CADENCE_TABLE_ACTIONS: readonly IncidentStoreAction[] = FUNCTION_MANIFEST['status-cadence'].table;

export interface StatusCadenceProps {
  /** The validated config: its alarms set the role's reads. */
  readonly config: TourniquetConfig;
  /** The config layer: cadence.json holds the cadence overrides and alarm texts ({@link cadenceSettingsFor} of the config) the function reads at cold start. */
  readonly configLayer: ConfigLayer;
  /** The incident table the open incidents are read from and their updates recorded in. */
  readonly table: IncidentTable;
  /** Where the scheduled updates go (KMS-encrypted: the grant covers its key). */
  readonly statusTopic: sns.ITopic;
  /** Where re-pages, reminders and orphaned-workflow pages go. */
  readonly escalationTopic: sns.ITopic;
  /** Where every status update and page also goes, as an AWS Chatbot custom notification (docs/chat.md). */
  readonly chatTopic: sns.ITopic;
}

/**
 * Status updates on a cadence while an incident stays open: an EventBridge schedule invokes the
 * `status-cadence` function, which sends the update each open incident was promised when no
 * phase change has sent one (SEV1 every 30 minutes, SEV2 every 60, ...).
 */
export class StatusCadence extends Construct {
  public readonly handler: HandlerFunction;
  public readonly rule: events.Rule;
  /** What the function reads from the config layer (`CadenceSettings`): cadence overrides and alarm texts. */
  public readonly settings: CadenceSettings;

  constructor(scope: Construct, id: string, props: StatusCadenceProps) {
    super(scope, id);
    const { table, statusTopic, escalationTopic } = props;
    this.settings = cadenceSettingsFor(props.config);

    this.handler = new HandlerFunction(this, 'StatusCadence', {
      handler: STATUS_CADENCE_HANDLER,
      description: 'Tourniquet: status updates, re-pages and lease checks of incidents that stay open',
      environment: manifestEnvironment(STATUS_CADENCE_HANDLER, {
        TABLE_NAME: table.table.tableName,
        STATUS_TOPIC_ARN: statusTopic.topicArn,
        ESCALATION_TOPIC_ARN: escalationTopic.topicArn,
        CHAT_TOPIC_ARN: props.chatTopic.topicArn,
      }),
    });
    // Alarm impact sentences can outgrow Lambda's 4 KB environment; the settings come in the config layer instead.
    props.configLayer.attachTo(this.handler);
    // The next scheduled run is the retry: an old schedule event, or a second attempt, adds nothing.
    this.handler.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(CADENCE_SCHEDULE_MINUTES) });

    grantManifest(this.handler, STATUS_CADENCE_HANDLER, { config: props.config, table, topics: { status: statusTopic, escalation: escalationTopic, chat: props.chatTopic } });

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Tourniquet: send due status updates of open incidents (every ${CADENCE_SCHEDULE_MINUTES} minutes)`,
      // Fixed: the decisions send up to one schedule period early so that no promised time is missed.
      schedule: events.Schedule.rate(Duration.minutes(CADENCE_SCHEDULE_MINUTES)),
      targets: [new targets.LambdaFunction(this.handler.function, { retryAttempts: 2, maxEventAge: Duration.minutes(CADENCE_SCHEDULE_MINUTES) })],
    });
  }
}
