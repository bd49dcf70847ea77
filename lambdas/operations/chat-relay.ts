import { chatContentFromText, chatMessageBody } from '../core/chat-message.js';
import { SELF_SERVICE } from '../core/metrics.js';
import { logger } from '../runtime/logger.js';
import type { MetricsSink, Publisher } from './ports.js';

/**
 * Every status update and page also goes to the chat topic, in AWS Chatbot's custom notification
 * format (docs/chat.md). The relay wraps the publisher the operations already use, so each call
 * site stays one publish and every function that notifies gets the chat copy the same way.
 *
 * The email copy comes first and decides the outcome: the chat copy is sent only after it went out,
 * and a chat copy that fails is logged and counted (`ChatPublishFailures`), never thrown. So a
 * failing chat topic cannot fail a status update or a page, and cannot make a retry send the email
 * twice. A message whose `chat` is `false` (a copy of one already relayed, e.g. the status topic's
 * copy of a page) is not relayed again; the approvers topic (signed links) is never relayed.
 */
export interface ChatRelayOptions {
  /** The chat topic (Chatbot's channels subscribe to it). */
  readonly chatTopicArn: string;
  /** The topics whose messages are relayed: the status and escalation topics. */
  readonly relayed: readonly string[];
  readonly metrics: MetricsSink;
}

export class ChatRelay implements Publisher {
  private readonly relayed: ReadonlySet<string>;

  constructor(
    private readonly inner: Publisher,
    private readonly options: ChatRelayOptions,
  ) {
    this.relayed = new Set(options.relayed);
  }

  async publish(request: Parameters<Publisher['publish']>[0]): Promise<{ readonly messageId: string }> {
    const { chat, ...email } = request;
    const published = await this.inner.publish(email);
    if (chat === false || !this.relayed.has(request.topicArn)) return published;
    const attributes = request.attributes ?? {};
    try {
      await this.inner.publish({
        topicArn: this.options.chatTopicArn,
        message: chatMessageBody(chat ?? chatContentFromText(request.subject, request.message, attributes)),
        // The same attributes as the email copy: subscription filter policies work on the chat topic too.
        attributes,
      });
    } catch (error) {
      logger.error('chat copy not published; the email copy went out', { topicArn: request.topicArn, incidentId: attributes['incidentId'], error: error as Error });
      this.options.metrics.record('chatPublishFailures', 1, { service: SELF_SERVICE }, attributes['incidentId'] ? { incidentId: attributes['incidentId'] } : {});
    }
    return published;
  }
}

/** The functions' publisher with the chat copy, when the function has a chat topic. */
export function withChatRelay(inner: Publisher, options: Partial<ChatRelayOptions> & Pick<ChatRelayOptions, 'metrics'>): Publisher {
  return options.chatTopicArn ? new ChatRelay(inner, { chatTopicArn: options.chatTopicArn, relayed: options.relayed ?? [], metrics: options.metrics }) : inner;
}
