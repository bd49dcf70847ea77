/**
 * Chat copies of status updates and pages, in AWS Chatbot's (Amazon Q Developer in chat
 * applications) custom notification format: an SNS message whose body is
 * `{ version: "1.0", source: "custom", content: { textType, title, description, nextSteps, keywords }, metadata }`.
 * Chatbot posts such a message from a subscribed topic to the configured Slack or Teams channels;
 * `metadata.threadId` groups the messages of one incident in one thread (docs/chat.md).
 *
 * Incident text comes from alarm names, reasons and config, so it can be anything: every field is
 * cut to a cap here (with a marker) rather than letting a chat client drop or mangle the message.
 */

/** What a chat copy says. Built by the renderers of status updates and pages, or from a plain message by {@link chatContentFromText}. */
export interface ChatContent {
  /** One line: severity, phase, service, what fired. */
  readonly title: string;
  /** Markdown (rendered in the chat platform's markdown): summary, impact, what Tourniquet did, the runbook and console links. */
  readonly description: string;
  /** What a human does next ("tourniquet ack <id>", "Open the runbook: <url>"). */
  readonly nextSteps?: readonly string[];
  /** Short tags shown with the message: the incident id, severity, service. */
  readonly keywords?: readonly string[];
  /** The incident id: Chatbot threads every message with the same threadId. */
  readonly threadId?: string;
  /** A one-line summary (Chatbot shows it where the title does not fit, e.g. push notifications). */
  readonly summary?: string;
  /** What kind of message this is (`StatusUpdate`, `Page`, `ApprovalRequested`...). */
  readonly eventType?: string;
  /** ARNs the message is about (the workflow execution). */
  readonly relatedResources?: readonly string[];
}

/** The custom notification Chatbot reads from an SNS message body. */
export interface ChatbotCustomNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id?: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps?: string[];
    readonly keywords?: string[];
  };
  readonly metadata?: {
    readonly threadId?: string;
    readonly summary?: string;
    readonly eventType?: string;
    readonly relatedResources?: string[];
  };
}

/**
 * Tourniquet's caps on each field. Chatbot's schema names the fields but a message far longer than
 * a chat client shows is no use at 3 a.m. either: the description holds the facts and the links,
 * the full history stays in the email and `tourniquet postmortem`.
 */
export const CHAT_LIMITS = {
  title: 250,
  description: 8_000,
  nextSteps: 5,
  nextStep: 500,
  keywords: 10,
  keyword: 75,
  threadId: 128,
  summary: 250,
  eventType: 100,
  relatedResources: 10,
} as const;

/** Cuts `text` to `max` characters, ending with "..." when it was longer; never splits a surrogate pair. */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 3;
  // A high surrogate at the cut would leave half a character.
  if (cut > 0 && /[\uD800-\uDBFF]/.test(text.charAt(cut - 1))) cut--;
  return `${text.slice(0, Math.max(0, cut)).trimEnd()}...`;
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** The custom notification for `content`, every field within {@link CHAT_LIMITS}; empty lists and fields are left out. */
export function chatbotNotification(content: ChatContent): ChatbotCustomNotification {
  const nextSteps = (content.nextSteps ?? [])
    .map((s) => cap(oneLine(s), CHAT_LIMITS.nextStep))
    .filter((s) => s !== '')
    .slice(0, CHAT_LIMITS.nextSteps);
  const keywords = [...new Set((content.keywords ?? []).map((k) => cap(oneLine(k), CHAT_LIMITS.keyword)).filter((k) => k !== ''))].slice(0, CHAT_LIMITS.keywords);
  const related = (content.relatedResources ?? []).filter((r) => r !== '').slice(0, CHAT_LIMITS.relatedResources);
  const metadata = {
    ...(content.threadId ? { threadId: cap(content.threadId, CHAT_LIMITS.threadId) } : {}),
    ...(content.summary ? { summary: cap(oneLine(content.summary), CHAT_LIMITS.summary) } : {}),
    ...(content.eventType ? { eventType: cap(content.eventType, CHAT_LIMITS.eventType) } : {}),
    ...(related.length > 0 ? { relatedResources: related } : {}),
  };
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: cap(oneLine(content.title) || 'Tourniquet', CHAT_LIMITS.title),
      description: cap(content.description.trim() || '(no description)', CHAT_LIMITS.description),
      ...(nextSteps.length > 0 ? { nextSteps } : {}),
      ...(keywords.length > 0 ? { keywords } : {}),
    },
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
}

/** The SNS message body of a chat copy. */
export function chatMessageBody(content: ChatContent): string {
  return JSON.stringify(chatbotNotification(content));
}

/** Markdown for a labelled paragraph; empty when there is nothing to say. */
export function section(label: string, body: string | readonly string[] | undefined): string {
  if (body === undefined) return '';
  const lines = typeof body === 'string' ? [body] : body.map((line) => `• ${line}`);
  if (lines.length === 0 || lines.every((l) => l.trim() === '')) return '';
  return typeof body === 'string' ? `*${label}:* ${body}` : `*${label}:*\n${lines.join('\n')}`;
}

/** Joins sections with blank lines, skipping the empty ones. */
export function sections(...parts: readonly string[]): string {
  return parts.filter((p) => p.trim() !== '').join('\n\n');
}

/** The next steps every incident message offers: the runbook first, when there is one. */
export function incidentNextSteps(incidentId: string, runbook: string | undefined, first: readonly string[] = []): string[] {
  return [...(runbook ? [`Open the runbook: ${runbook}`] : []), ...first, `Full timeline and postmortem draft: tourniquet postmortem ${incidentId}`];
}

/**
 * A chat copy of a message that has no structured chat content (a rejected alarm event, a readiness
 * notice): the subject as title, the text as a preformatted description, and what the message
 * attributes name (incident id, severity, status) as keywords and thread.
 */
export function chatContentFromText(subject: string | undefined, message: string, attributes: Readonly<Record<string, string>> = {}): ChatContent {
  const incidentId = attributes['incidentId'];
  const keywords = [incidentId, attributes['severity'], attributes['service'], attributes['status']].filter((k): k is string => k !== undefined && k !== '');
  const fence = '```';
  // Keep room for the fences: the text is cut before it is wrapped, so the block always closes.
  const body = cap(message.replaceAll(fence, "'''"), CHAT_LIMITS.description - 2 * fence.length - 2);
  return {
    title: subject ?? message.split('\n')[0] ?? 'Tourniquet',
    description: `${fence}\n${body}\n${fence}`,
    ...(keywords.length > 0 ? { keywords } : {}),
    ...(incidentId ? { threadId: incidentId, nextSteps: [`Full timeline and postmortem draft: tourniquet postmortem ${incidentId}`] } : {}),
    ...(attributes['status'] ? { eventType: attributes['status'] } : {}),
  };
}
