import type { VerifyDeps } from '../../handlers/verify.js';
import type { EnvOf } from '../manifest.js';
import { mitigationAdapters, serviceAdapters } from './adapters.js';
import { alarms, metricsSink, type Runtime, stores } from './runtime.js';

/** Dependencies of the verify function. */
export const composeVerify = async (rt: Runtime, env: EnvOf<'verify'>): Promise<VerifyDeps> => {
  const adaptersAt = serviceAdapters(rt.clients, rt);
  return {
    store: (await stores(rt, env.TABLE_NAME)).incidents,
    alarms: await alarms(rt),
    adapters: mitigationAdapters(rt.clients, rt),
    metrics: await metricsSink(rt),
    clock: rt.clock,
    // The alarm is read where it lives: the service's region, through the member role for a workload account.
    forService: async (access, sessionName) => ({ ...(await adaptersAt(access, sessionName)), alarms: await alarms(rt, rt.clients.forService(access, sessionName)) }),
  };
};
