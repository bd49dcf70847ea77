import type { VerifyDeps } from '../../handlers/verify.js';
import type { EnvOf } from '../manifest.js';
import { mitigationAdapters } from './adapters.js';
import { alarms, metricsSink, type Runtime, stores } from './runtime.js';

/** Dependencies of the verify function. */
export const composeVerify = async (rt: Runtime, env: EnvOf<'verify'>): Promise<VerifyDeps> => ({
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  alarms: await alarms(rt),
  adapters: mitigationAdapters(rt.clients, rt),
  metrics: await metricsSink(rt),
  clock: rt.clock,
});
