import { type AwsClients, type ClientSettings, type PlaceClients, withServiceClients } from '../lambdas/runtime/clients.js';
import type { SimClients } from './sim/account.js';

/**
 * The simulated account's clients behind the same interface the Lambda entry points get real
 * clients through (lambdas/runtime/clients.ts), so the drill composes handlers exactly as
 * production does. One client per service: the simulated account answers every region. `place`
 * builds the clients of a service's location (a workload account's, with the member role's
 * credentials); the role chain in between (STS AssumeRole, session names, caching) is production's.
 */
export function simulatedAwsClients(clients: SimClients, place?: (settings: ClientSettings) => SimClients, now?: () => number): AwsClients {
  return withServiceClients(placeOf(clients), (settings) => placeOf(place ? place(settings) : clients), now ? { now } : {});
}

function placeOf(clients: SimClients): PlaceClients {
  return {
    appconfig: async () => clients.appconfig,
    ecs: async () => clients.ecs,
    cloudwatch: async () => clients.cloudwatch,
    sns: async () => clients.sns,
    route53: async () => clients.route53,
    wafv2: async () => clients.wafv2,
    // One client per cluster endpoint, each answering as that endpoint does (account.arc outages).
    arcCluster: async (endpoint, region) => clients.arcCluster(endpoint, region),
    rds: async () => clients.rds,
    sts: async () => clients.sts,
    // The drill runs Step Functions locally and signs approvals with its own secret: no simulated service answers these.
    sfn: async () => {
      throw new Error('The simulated account has no Step Functions: the drill passes its local workflow to the starter');
    },
    secretsManager: async () => {
      throw new Error('The simulated account has no Secrets Manager: the drill answers approvals through drill/operator.ts');
    },
  };
}
