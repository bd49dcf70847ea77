import type { TriageDeps } from '../../handlers/triage.js';
import type { AwsClients } from '../clients.js';
import type { EnvOf } from '../manifest.js';
import { alarms, type Runtime, stores } from './runtime.js';

/** Dependencies of the triage function. */
export const composeTriage = async (rt: Runtime, env: EnvOf<'triage'>): Promise<TriageDeps> => {
  const [{ AppConfigFlagsAdapter }, { EcsAdapter }, { CloudWatchMetricDataAdapter }] = await Promise.all([
    import('../../adapters/appconfig-flags.js'),
    import('../../adapters/ecs-deployments.js'),
    import('../../adapters/cloudwatch-metric-data.js'),
  ]);
  // Triage's sources over one place's clients: here, or the service's region and account.
  const sources = async (clients: AwsClients) => ({
    flags: new AppConfigFlagsAdapter(await clients.appconfig()),
    ecs: new EcsAdapter(await clients.ecs()),
    alarms: await alarms(rt, clients),
    metrics: new CloudWatchMetricDataAdapter(await clients.cloudwatch()),
  });
  return {
    store: (await stores(rt, env.TABLE_NAME)).incidents,
    ...(await sources(rt.clients)),
    clock: rt.clock,
    forService: (access, sessionName) => sources(rt.clients.forService(access, sessionName)),
  };
};
