import type { TriageDeps } from '../../handlers/triage.js';
import type { EnvOf } from '../manifest.js';
import { alarms, type Runtime, stores } from './runtime.js';

/** Dependencies of the triage function. */
export const composeTriage = async (rt: Runtime, env: EnvOf<'triage'>): Promise<TriageDeps> => {
  const [{ AppConfigFlagsAdapter }, { EcsAdapter }, { CloudWatchMetricDataAdapter }] = await Promise.all([
    import('../../adapters/appconfig-flags.js'),
    import('../../adapters/ecs-deployments.js'),
    import('../../adapters/cloudwatch-metric-data.js'),
  ]);
  return {
    store: (await stores(rt, env.TABLE_NAME)).incidents,
    flags: new AppConfigFlagsAdapter(await rt.clients.appconfig()),
    ecs: new EcsAdapter(await rt.clients.ecs()),
    alarms: await alarms(rt),
    metrics: new CloudWatchMetricDataAdapter(await rt.clients.cloudwatch()),
    clock: rt.clock,
  };
};
