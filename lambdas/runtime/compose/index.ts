import type { EnvOf, ManifestedFunction } from '../manifest.js';
import { composeApprovalEndpoint } from './approval-endpoint.js';
import { composeCloseIncident } from './close-incident.js';
import { composeDecide } from './decide.js';
import { composeEscalate } from './escalate.js';
import { composeMitigate } from './mitigate.js';
import { composeNotify } from './notify.js';
import { composeOpenIncident } from './open-incident.js';
import { composeReadiness } from './readiness.js';
import { composeRequestApproval } from './request-approval.js';
import type { Runtime } from './runtime.js';
import { composeStartExecution } from './start-execution.js';
import { composeStatusCadence } from './status-cadence.js';
import { composeTriage } from './triage.js';
import { composeVerify } from './verify.js';

export { mitigationAdapters, serviceAdapters } from './adapters.js';
export { composeOperator, type OperatorSettings } from './operator.js';
export type { AdapterOptions, Runtime } from './runtime.js';

/** Every function's composition by its manifest name: for the drill, which runs them all (a Lambda bundle imports only its own module). */
export const compose = {
  'open-incident': composeOpenIncident,
  decide: composeDecide,
  'close-incident': composeCloseIncident,
  notify: composeNotify,
  triage: composeTriage,
  mitigate: composeMitigate,
  verify: composeVerify,
  escalate: composeEscalate,
  'start-execution': composeStartExecution,
  'status-cadence': composeStatusCadence,
  'request-approval': composeRequestApproval,
  'approval-endpoint': composeApprovalEndpoint,
  readiness: composeReadiness,
} satisfies { readonly [F in ManifestedFunction]: (rt: Runtime, env: EnvOf<F>) => Promise<unknown> };
