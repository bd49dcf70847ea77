import type { TourniquetConfig } from '../../lambdas/core/config.js';
import { configWith } from './support.js';

/** The sample config spread over accounts and regions: the shapes the cross-account infra tests share. */

export const CENTRAL = '111111111111';
export const WORKLOAD = '222222222222';

/**
 * Tourniquet in CENTRAL us-east-1; checkout (the sample service) in WORKLOAD eu-west-1, payments in
 * WORKLOAD us-west-2, search in CENTRAL eu-central-1, orders where Tourniquet runs.
 */
export function crossAccountConfig(change?: (raw: Record<string, any>) => void): TourniquetConfig {
  return configWith((raw) => {
    raw.crossAccount = { centralAccount: CENTRAL, centralRegion: 'us-east-1' };
    raw.services[0].account = WORKLOAD;
    raw.services[0].region = 'eu-west-1';
    raw.services.push(
      { name: 'payments', account: WORKLOAD, region: 'us-west-2', alarms: [{ name: 'payments-5xx' }], resources: { ecs: { cluster: 'pay', service: 'payments' } } },
      {
        name: 'search',
        region: 'eu-central-1',
        alarms: [{ name: 'search-5xx' }],
        resources: { featureFlags: { applicationId: 'srch1ap', environmentId: 'prd9env', configurationProfileId: 'flg7prf', killSwitchFlags: ['fuzzy'] } },
      },
      { name: 'orders', alarms: [{ name: 'orders-5xx' }], resources: { ecs: { cluster: 'shop-prod', service: 'orders' } } },
    );
    change?.(raw);
  });
}
