import { describe, expect, it } from '@jest/globals';
import { AwsSolutionsChecks } from 'cdk-nag';

import { actionsOf, configWith, fastStack, statementsOf, templateFor } from './support.js';

/**
 * The db-failover grants in a synthesized stack: mitigate may fail over exactly the configured
 * cluster, and the two read-only wildcards (DescribeDBInstances on db:*, GetMetricData on *) are
 * acknowledged for cdk-nag with the module's reasons.
 */

const WEST = 'arn:aws:rds:us-west-2:123456789012:cluster:checkout-west';
const withDatabase = (database: Record<string, unknown>) =>
  configWith((raw) => {
    raw.services[0].resources.database = database;
    raw.services[0].symptomAlarms.databaseFailure = ['checkout-db-writer-health'];
  });

describe('IAM for db-failover', () => {
  it('cluster mode: no cdk-nag finding; mitigate fails over only the configured cluster', () => {
    const config = withDatabase({ mode: 'cluster', clusterId: 'checkout-db', targetInstanceId: 'checkout-db-2' });
    expect(new AwsSolutionsChecks().validateScope(fastStack(config)).violations).toEqual([]);
    const template = templateFor(config);
    // Verify reads the new writer (settle); triage needs nothing of RDS.
    expect(actionsOf(statementsOf(template, 'verify'))).toContain('rds:DescribeDBClusters');
    expect(actionsOf(statementsOf(template, 'triage')).filter((a) => a.startsWith('rds:'))).toEqual([]);
    const statements = statementsOf(template, 'mitigate');
    const failover = statements.filter((s) => actionsOf([s]).includes('rds:FailoverDBCluster'));
    expect(failover).toHaveLength(1);
    expect(JSON.stringify(failover[0]!.Resource)).toContain(':cluster:checkout-db');
    expect(JSON.stringify(failover[0]!.Resource)).not.toContain('*');
  });

  it('global-failover mode: no cdk-nag finding', () => {
    const config = withDatabase({ mode: 'global-failover', clusterId: 'checkout-db', globalClusterId: 'checkout-global', targetClusterArn: WEST });
    expect(new AwsSolutionsChecks().validateScope(fastStack(config)).violations).toEqual([]);
  });
});
