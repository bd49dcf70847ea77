import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The Lambda handlers of Tourniquet, one file each in `lambdas/handlers/<name>.ts`, each exporting
 * `handler`. The name is also the `tourniquet:handler` metadata on the function resource, which is
 * how the drill maps a Task state back to the source file it must run.
 */
export const WORKFLOW_HANDLERS = ['open-incident', 'notify', 'triage', 'decide', 'mitigate', 'request-approval', 'verify', 'escalate', 'close-incident'] as const;

/** Handlers invoked by Task states of the incident state machine. */
export type WorkflowHandlerName = (typeof WORKFLOW_HANDLERS)[number];

/** The starter sits outside the state machine: EventBridge and SNS invoke it, it starts executions. */
export const STARTER_HANDLER = 'start-execution';

/**
 * The approval endpoint sits outside the state machine too: a Lambda function URL serves the
 * signed links of approval emails, and it answers the waiting `AwaitApproval` task.
 */
export const APPROVAL_ENDPOINT_HANDLER = 'approval-endpoint';

/**
 * The status cadence sits outside the state machine as well: a schedule invokes it to send the
 * promised status updates of incidents that stay open without a phase change.
 */
export const STATUS_CADENCE_HANDLER = 'status-cadence';

/**
 * The readiness check sits outside the state machine too: a schedule invokes it to prove every
 * configured mitigation could run, publish a metric per target, and page when one stops being ready.
 */
export const READINESS_HANDLER = 'readiness';

/** Every handler the stack deploys. */
export const HANDLER_NAMES = [STARTER_HANDLER, APPROVAL_ENDPOINT_HANDLER, STATUS_CADENCE_HANDLER, READINESS_HANDLER, ...WORKFLOW_HANDLERS] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/** Metadata key on each `AWS::Lambda::Function` naming its handler file. */
export const HANDLER_METADATA_KEY = 'tourniquet:handler';

/** Repository root: NodejsFunction bundles from here and finds `package-lock.json` here. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Whether Tourniquet runs compiled (`dist/`, as installed from npm) rather than from its TypeScript
 * sources (this repository, through tsx or ts-jest). Compiled, the functions deploy the prebuilt
 * bundles `npm run build` wrote; from source, they are bundled with esbuild at synth.
 */
export const RUNS_COMPILED = import.meta.url.endsWith('.js');

/** Where `npm run build` writes the prebuilt bundles, one folder per handler (`dist/bundles/<name>/index.mjs`). */
export const PREBUILT_BUNDLES_DIR = fileURLToPath(new URL('../bundles', import.meta.url));

/** The prebuilt bundle folder of a handler (used when {@link RUNS_COMPILED}). */
export function prebuiltBundleDir(name: HandlerName): string {
  return path.join(PREBUILT_BUNDLES_DIR, name);
}

/** Absolute path of a handler's source file. */
export function handlerEntry(name: HandlerName): string {
  return path.join(PROJECT_ROOT, 'lambdas', 'handlers', `${name}.ts`);
}
