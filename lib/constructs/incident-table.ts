import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

import { TABLE_KEYS } from '../../lambdas/store/table.js';

/**
 * The DynamoDB actions the incident store issues (`lambdas/store/incident-store.ts`): single-item
 * reads and writes, queries, and transactions (TransactWriteItems is authorized per contained
 * Put/Update/Delete/ConditionCheck). No Scan, no batch calls, no streams. A test keeps this list in
 * step with the commands the store sends.
 */
export const INCIDENT_STORE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
] as const;
export type IncidentStoreAction = (typeof INCIDENT_STORE_ACTIONS)[number];

export interface IncidentTableProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN - incident history must outlive the stack
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The single incident table: incidents, timelines, action records, locks and approvals.
 * The key design comes from `lambdas/store/table.ts`, the same source the local launcher uses
 * to create the table in DynamoDB Local.
 */
export class IncidentTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: IncidentTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Only lock items carry it, so expiry never removes incident history.
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_KEYS.gsi1Name,
      partitionKey: { name: TABLE_KEYS.gsi1PartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.gsi1SortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  /** Lets a handler use the incident store: {@link INCIDENT_STORE_ACTIONS} on the table and its index. */
  public grantStoreAccess(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, ...INCIDENT_STORE_ACTIONS);
  }

  /**
   * Lets a handler use some of {@link INCIDENT_STORE_ACTIONS}, on the base table only: for handlers
   * whose store calls never touch the index (the approval steps).
   */
  public grantItemActions(grantee: iam.IGrantable, actions: readonly IncidentStoreAction[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [this.table.tableArn] });
  }
}
