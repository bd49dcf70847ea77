import { describe, expect, it } from '@jest/globals';

import { actionKey, episodeKey, eventKey, incidentListSortKey, mutexKey, signalEventKey } from '../../../lambdas/store/keys.js';
import { TABLE_KEYS, tableDefinition } from '../../../lambdas/store/table.js';

describe('TABLE_KEYS', () => {
  it('is the contract the CDK stack imports', () => {
    expect(TABLE_KEYS).toEqual({
      partitionKey: 'pk',
      sortKey: 'sk',
      gsi1Name: 'gsi1',
      gsi1PartitionKey: 'gsi1pk',
      gsi1SortKey: 'gsi1sk',
      ttlAttribute: 'expiresAt',
    });
  });
});

describe('tableDefinition', () => {
  it('declares pk/sk, an ALL-projection gsi1 and on-demand billing', () => {
    const definition = tableDefinition('incidents-test');
    expect(definition.TableName).toBe('incidents-test');
    expect(definition.BillingMode).toBe('PAY_PER_REQUEST');
    expect(definition.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(definition.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    // Only key attributes may be declared; TTL is not a key.
    expect(definition.AttributeDefinitions?.map((a) => a.AttributeName).sort()).toEqual(['gsi1pk', 'gsi1sk', 'pk', 'sk']);
  });
});

describe('keys', () => {
  it('sort events by instant whatever the offset, then by sequence', () => {
    const a = eventKey('i', '2026-11-02T12:00:00.000+02:00', 7).sk;
    const b = eventKey('i', '2026-11-02T10:30:00.000Z', 1).sk;
    expect(a).toBe('EVENT#2026-11-02T10:00:00.000Z#000007');
    expect([b, a].sort()).toEqual([a, b]);
    expect(eventKey('i', '2026-11-02T10:00:00.000Z', 2).sk < eventKey('i', '2026-11-02T10:00:00.000Z', 10).sk).toBe(true);
  });

  it('sort actions by numeric cursor', () => {
    expect(actionKey('i', 2, 'ecs-rollback').sk < actionKey('i', 10, 'ecs-rollback').sk).toBe(true);
    expect(actionKey('i', 3, 'waf-block')).toEqual({ pk: 'INCIDENT#i', sk: 'ACTION#0003#waf-block' });
  });

  it('name the episode pointer and the mutation lock by service alone', () => {
    expect(episodeKey('checkout')).toEqual({ pk: 'EPISODE#checkout', sk: 'CURRENT' });
    expect(mutexKey('checkout')).toEqual({ pk: 'MUTEX#checkout', sk: 'LOCK' });
    expect(incidentListSortKey('2026-11-02T11:00:00+01:00', 'x')).toBe('2026-11-02T10:00:00.000Z#x');
  });

  it('key a signal event by its transition, on the timeline, after the counted events of the same instant', () => {
    const signal = signalEventKey('i', '2026-11-02T12:00:00.000+02:00', 'abc123def456');
    expect(signal).toEqual({ pk: 'INCIDENT#i', sk: 'EVENT#2026-11-02T10:00:00.000Z#Sabc123def456' });
    expect(signal.sk > eventKey('i', '2026-11-02T10:00:00.000Z', 999_999).sk).toBe(true);
    expect(signal.sk < eventKey('i', '2026-11-02T10:00:00.001Z', 0).sk).toBe(true);
  });
});
