import type { StatusCadenceDeps } from '../../handlers/status-cadence.js';
import type { EnvOf } from '../manifest.js';
import { need, publisher, type Runtime, stores } from './runtime.js';

/** Dependencies of the status-cadence function. */
export const composeStatusCadence = async (rt: Runtime, env: EnvOf<'status-cadence'>): Promise<StatusCadenceDeps> => ({
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  publisher: await publisher(rt),
  statusTopicArn: env.STATUS_TOPIC_ARN,
  escalationTopicArn: env.ESCALATION_TOPIC_ARN,
  settings: need(rt.cadence, 'the cadence settings'),
  clock: rt.clock,
});
