import type { EnvOf, ManifestedFunction } from './manifest.js';
import {
  composeOpenIncident,
  composeDecide,
  composeCloseIncident,
  composeNotify,
  composeTriage,
  composeMitigate,
  composeVerify,
  composeEscalate,
  composeStartExecution,
  composeStatusCadence,
  composeRequestApproval,
  composeApprovalEndpoint,
  composeReadiness,
  type Runtime,
} from './compose.js';

/** Every function's composition by its manifest name: for the drill, which runs them all (a Lambda bundle imports only its own). */
export const compose = {
  'open-incident': composeOpenIncident,
  'decide': composeDecide,
  'close-incident': composeCloseIncident,
  'notify': composeNotify,
  'triage': composeTriage,
  'mitigate': composeMitigate,
  'verify': composeVerify,
  'escalate': composeEscalate,
  'start-execution': composeStartExecution,
  'status-cadence': composeStatusCadence,
  'request-approval': composeRequestApproval,
  'approval-endpoint': composeApprovalEndpoint,
  'readiness': composeReadiness,
} satisfies { readonly [F in ManifestedFunction]: (rt: Runtime, env: EnvOf<F>) => Promise<unknown> };
