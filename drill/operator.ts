import { STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

import type { SnsPublisher } from '../lambdas/adapters/sns-publisher.js';
import { createRequestApprovalHandler } from '../lambdas/handlers/request-approval.js';
import { runApprovalCommand } from '../lambdas/operations/approval.js';
import type { MetricsSink } from '../lambdas/operations/ports.js';
import { ApprovalStore } from '../lambdas/store/approvals.js';
import type { IncidentStore } from '../lambdas/store/incident-store.js';
import type { LocalTaskHandler } from './local-workflow.js';
import { SIM_ACCOUNT } from './sim/ids.js';

/**
 * The on-call human of a drill. aws-local-stepfunctions cannot pause on `.waitForTaskToken`, so the
 * AwaitApproval state is answered here: the real request-approval handler stores the request and
 * sends the email with its links, then the scripted operator answers through `runApprovalCommand`,
 * the same code path as `tourniquet approve|reject`, whose SendTaskSuccess output becomes the
 * state's result. A "timeout" answer lets the simulated time run out and fails the state with
 * States.Timeout, exactly as Step Functions would. Answers are given in the order requests arrive,
 * whichever incident asks.
 */

export const OperatorAnswerSchema = z
  .object({
    decision: z.enum(['approve', 'reject', 'timeout']),
    /** Who answers (becomes the IAM user of the caller identity). */
    by: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/)
      .default('oncall'),
    /** Minutes after the request that the answer comes. */
    afterMinutes: z.number().min(0).max(60).default(2),
    reason: z.string().max(500).optional(),
  })
  .strict();
export const OperatorSchema = z
  .object({
    /** Answers to approval requests, in order. A request with no scripted answer times out. */
    approvals: z.array(OperatorAnswerSchema).default([]),
    /** Before the alarm, the operator runs `tourniquet pause` (for one service, or all when no service is given). */
    pause: z
      .object({ service: z.string().optional(), by: z.string().default('oncall'), reason: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict();
export type Operator = z.infer<typeof OperatorSchema>;

/** A fixed drill secret: links are signed and tokens sealed for real, with a key nobody depends on. */
const DRILL_SECRET = 'drill-approval-secret-0123456789abcdefghijklmnopqrstuvwxyz';

export interface OperatorWiring {
  readonly operator: Operator;
  readonly store: IncidentStore;
  readonly documentClient: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly publisher: Pick<SnsPublisher, 'publish'>;
  readonly statusTopicArn: string;
  readonly escalationTopicArn: string;
  /** Where approval requests with their links go, and who they are addressed to. */
  readonly approversTopicArn: string;
  readonly approverEmails: readonly string[];
  readonly clock: { now(): Date };
  /** Waits in simulated time (the drill's scheduler): other actors run while the human thinks. */
  readonly sleep: (seconds: number) => Promise<void>;
  /** The drill's metrics: the request counts ApprovalsRequested, the answer ApprovalsDecided. */
  readonly metrics: MetricsSink;
}

class StatesTimeoutError extends Error {
  override readonly name = 'States.Timeout';
}

/** An STS client answering GetCallerIdentity for the scripted operator. */
function operatorIdentity(user: string): STSClient {
  const client = new STSClient({ region: 'us-east-1', credentials: { accessKeyId: 'drill', secretAccessKey: 'drill' } });
  client.middlewareStack.add(
    () => async () =>
      ({ output: { Arn: `arn:aws:iam::${SIM_ACCOUNT}:user/${user}`, Account: SIM_ACCOUNT, UserId: `AIDA${user.toUpperCase()}`, $metadata: {} }, response: {} }) as never,
    { step: 'initialize', name: 'drillOperatorIdentity' },
  );
  return client;
}

export function awaitApprovalHandler(w: OperatorWiring): LocalTaskHandler {
  const approvals = new ApprovalStore({ tableName: w.tableName, client: w.documentClient, clock: () => w.clock.now() });
  const request = createRequestApprovalHandler({
    approvals,
    incidents: w.store,
    publisher: w.publisher,
    secret: async () => DRILL_SECRET,
    secretId: `arn:aws:secretsmanager:us-east-1:${SIM_ACCOUNT}:secret:tourniquet-drill-approvals`,
    endpointUrl: 'https://approval.drill.invalid/',
    tableName: w.tableName,
    statusTopicArn: w.statusTopicArn,
    escalationTopicArn: w.escalationTopicArn,
    approversTopicArn: w.approversTopicArn,
    approverEmails: w.approverEmails,
    metrics: w.metrics,
    clock: () => w.clock.now(),
  });
  let asked = 0;
  return async (input: unknown) => {
    // The deployed state passes its payload under Payload (lambda:invoke.waitForTaskToken).
    const payload = ((input as { Payload?: unknown }).Payload ?? input) as { incidentId: string; timeoutSeconds?: number };
    const answer = w.operator.approvals[asked] ?? { decision: 'timeout' as const, by: 'nobody', afterMinutes: 0 };
    asked += 1;
    await request({ ...payload, taskToken: `drill-task-token-${asked}` });
    if (answer.decision === 'timeout') {
      await w.sleep(payload.timeoutSeconds ?? 900);
      throw new StatesTimeoutError('Nobody answered the approval request before the task timed out');
    }
    await w.sleep(answer.afterMinutes * 60);
    let delivered: unknown;
    const result = await runApprovalCommand(
      {
        decision: answer.decision === 'approve' ? 'approved' : 'rejected',
        incidentId: payload.incidentId,
        ...(answer.reason ? { reason: answer.reason } : {}),
        tableName: w.tableName,
      },
      {
        approvals,
        incidents: w.store,
        tasks: { sendDecision: async (_token: string, output: unknown) => void (delivered = output) },
        secrets: { getSecret: async () => DRILL_SECRET },
        sts: operatorIdentity(answer.by),
        // As the approval endpoint would count it (the CLI counts nothing: no function log on a laptop).
        metrics: w.metrics,
        clock: () => w.clock.now(),
      },
    );
    if (delivered === undefined) throw new Error(`The drill operator's ${answer.decision} did not reach the workflow: ${result.stderr.trim()}`);
    return typeof delivered === 'string' ? JSON.parse(delivered) : delivered;
  };
}
