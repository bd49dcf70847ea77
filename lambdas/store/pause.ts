import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

/**
 * The pause switch: a human stops all automated changes, for one service or for everything
 * (`*`), without redeploying. Every mutating step reads it first; while paused, Tourniquet still
 * opens incidents, decides and notifies, but changes nothing and says so.
 */

export const GLOBAL_SCOPE = '*';

export const PauseStateSchema = z.object({
  scope: z.string(),
  paused: z.boolean(),
  by: z.string(),
  reason: z.string().nullable(),
  at: z.iso.datetime({ offset: true }),
});
export type PauseState = z.infer<typeof PauseStateSchema>;

const pauseKey = (scope: string) => ({ pk: `PAUSE#${scope}`, sk: 'SWITCH' });

export class PauseSwitch {
  private readonly client: DynamoDBDocumentClient;
  constructor(private readonly options: { tableName: string; client?: DynamoDBDocumentClient; clock?: () => Date }) {
    this.client = options.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Turns automation off (`paused: true`) or back on for a service or `*`. */
  async set(scope: string, paused: boolean, by: string, reason?: string): Promise<PauseState> {
    const state: PauseState = { scope, paused, by, reason: reason ?? null, at: (this.options.clock?.() ?? new Date()).toISOString() };
    await this.client.send(new PutCommand({ TableName: this.options.tableName, Item: { ...pauseKey(scope), entity: 'pause', ...state } }));
    return state;
  }

  /** The pause in force for a service: the global switch wins, then the service's own. */
  async inForce(service: string): Promise<PauseState | undefined> {
    for (const scope of [GLOBAL_SCOPE, service]) {
      const { Item } = await this.client.send(new GetCommand({ TableName: this.options.tableName, Key: pauseKey(scope), ConsistentRead: true }));
      if (Item) {
        const state = PauseStateSchema.parse(Item);
        if (state.paused) return state;
      }
    }
    return undefined;
  }
}
