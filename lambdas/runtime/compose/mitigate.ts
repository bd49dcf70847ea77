import type { MitigateDeps } from '../../handlers/mitigate.js';
import type { EnvOf } from '../manifest.js';
import { mitigationAdapters, serviceAdapters } from './adapters.js';
import { metricsSink, type Runtime, stores } from './runtime.js';

/** Dependencies of the mitigate function. */
export const composeMitigate = async (rt: Runtime, env: EnvOf<'mitigate'>): Promise<MitigateDeps> => {
  const [{ incidents, options }, { PauseSwitch }, { AutomationBrake }] = await Promise.all([
    stores(rt, env.TABLE_NAME),
    import('../../store/pause.js'),
    import('../../store/brake.js'),
  ]);
  return {
    store: incidents,
    pause: new PauseSwitch(options),
    brake: new AutomationBrake(options),
    adapters: mitigationAdapters(rt.clients, rt),
    forService: serviceAdapters(rt.clients, rt),
    deploymentStrategyId: env.DEPLOYMENT_STRATEGY_ID,
    metrics: await metricsSink(rt),
    clock: rt.clock,
    ...(rt.sleep ? { sleep: rt.sleep } : {}),
  };
};
