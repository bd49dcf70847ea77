import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

import { FUNCTION_MANIFEST } from '../../lambdas/runtime/manifest.js';
import { APPROVAL_ENDPOINT_HANDLER } from '../handlers.js';
import { acknowledgeNag } from '../nag.js';
import { grantManifest, manifestEnvironment } from './function-access.js';
import { HandlerFunction } from './handler-function.js';
import type { IncidentStoreAction, IncidentTable } from './incident-table.js';

/**
 * Table actions of the approval endpoint: read an approval (GetItem), claim, release and deliver
 * the decision (UpdateItem), and put it on the timeline (UpdateItem of the event counter, PutItem
 * of the event). See `ApprovalStore` and `IncidentStore.appendTimeline`.
 */
/** Table actions of the approval endpoint (from the function manifest). */
export const APPROVAL_ENDPOINT_TABLE_ACTIONS: readonly IncidentStoreAction[] = FUNCTION_MANIFEST['approval-endpoint'].table;

/**
 * Table actions of `request-approval`: create the approval in a transaction that checks the
 * incident exists (ConditionCheckItem, PutItem), supersede older requests (Query, UpdateItem), and
 * put the request on the timeline (UpdateItem, PutItem).
 */
export const APPROVAL_REQUEST_TABLE_ACTIONS: readonly IncidentStoreAction[] = FUNCTION_MANIFEST['request-approval'].table;

/** Length of the generated HMAC secret; the handlers refuse anything under 32 characters. */
export const APPROVAL_SECRET_LENGTH = 64;

export interface ApprovalsProps {
  /** The incident table holding approval records and timelines. */
  readonly table: IncidentTable;
  /**
   * Fixed name of the incident state machine whose `AwaitApproval` tasks the endpoint answers.
   * The endpoint's permission is built from this name rather than from the state machine
   * resource: the state machine depends on `request-approval`, whose environment holds this
   * endpoint's URL, so a reference back to the state machine would be a dependency cycle.
   */
  readonly stateMachineName: string;
  /**
   * Concurrency reserved for (and capping) the endpoint: people clicking links need a few;
   * anything beyond that is a flood the endpoint should not scale into.
   * @default 5
   */
  readonly reservedConcurrency?: number;
}

/**
 * The human in the loop: the HMAC secret that signs approval links and seals task tokens, and the
 * approval endpoint (a Lambda function URL) that turns a click into SendTaskSuccess for the
 * waiting `AwaitApproval` state.
 *
 * The function URL has no IAM auth on purpose: people open the links from an email, without AWS
 * credentials. The link itself is the credential (HMAC-signed, bound to one approval, expiring
 * with the wait), GET only shows a confirmation page, and every decision is a conditional write
 * that succeeds once.
 */
export class Approvals extends Construct {
  public readonly secret: secretsmanager.Secret;
  public readonly endpoint: HandlerFunction;
  public readonly functionUrl: lambda.FunctionUrl;
  /** ARN of the state machine whose waiting tasks the endpoint may answer. */
  public readonly stateMachineArn: string;

  constructor(scope: Construct, id: string, props: ApprovalsProps) {
    super(scope, id);
    const { table } = props;

    this.secret = new secretsmanager.Secret(this, 'SigningSecret', {
      description: 'Tourniquet: HMAC key that signs approval links and seals Step Functions task tokens',
      // Letters and digits only: the value is used as text by both the handlers and the CLI.
      generateSecretString: { passwordLength: APPROVAL_SECRET_LENGTH, excludePunctuation: true, includeSpace: false },
    });
    acknowledgeNag(
      this.secret,
      'AwsSolutions-SMG4',
      'Rotating the approval key invalidates the links and sealed task tokens of pending approvals (each lives up to 15 minutes); rotate it by hand between incidents.',
    );

    this.stateMachineArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: props.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.endpoint = new HandlerFunction(this, 'Endpoint', {
      handler: APPROVAL_ENDPOINT_HANDLER,
      description: 'Tourniquet: approval links (confirm page, then approve or reject the waiting mitigation)',
      environment: manifestEnvironment(APPROVAL_ENDPOINT_HANDLER, { TABLE_NAME: table.table.tableName, APPROVAL_SECRET_ARN: this.secret.secretArn }),
      reservedConcurrentExecutions: props.reservedConcurrency ?? 5,
    });
    grantManifest(this.endpoint, APPROVAL_ENDPOINT_HANDLER, { table, approvalSecretArn: this.secret.secretArn, stateMachineArn: this.stateMachineArn });

    this.functionUrl = this.endpoint.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
  }

  /** Lets a function read the signing secret (GetSecretValue on this one secret). */
  public grantSecretRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: [this.secret.secretArn] });
  }
}
