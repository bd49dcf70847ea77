import * as z from 'zod';

/**
 * The AWS.AppConfig.FeatureFlags document: the content of a hosted configuration version in
 * a feature-flag profile. AppConfig validates it on CreateHostedConfigurationVersion, so the
 * simulation does too (the subset of the published JSON schema that matters for kill switches).
 */

/** Flag and attribute keys, as the AppConfig feature-flag schema allows them. */
export const FLAG_KEY_PATTERN = /^[a-z][a-zA-Z\d_-]{0,63}$/;

const FlagKeySchema = z.string().regex(FLAG_KEY_PATTERN, 'flag keys must start with a lowercase letter (max 64: letters, digits, _ and -)');

const FlagDefinitionSchema = z
  .object({
    name: z.string().min(1).max(64),
    description: z.string().max(1024).optional(),
    _createdAt: z.string().optional(),
    _updatedAt: z.string().optional(),
    _deprecation: z
      .object({ status: z.enum(['planned']).optional(), date: z.string().optional() })
      .strict()
      .optional(),
    attributes: z.record(FlagKeySchema, z.unknown()).optional(),
  })
  .strict();

/** A flag's value: `enabled` plus attribute values (AppConfig allows extra keys here). */
const FlagValueSchema = z.looseObject({ enabled: z.boolean() });

export const FeatureFlagsDocumentSchema = z
  .object({
    version: z.literal('1', 'version must be "1"'),
    flags: z.record(FlagKeySchema, FlagDefinitionSchema).optional(),
    values: z.record(FlagKeySchema, FlagValueSchema).optional(),
  })
  .strict();
export type FeatureFlagsDocument = z.infer<typeof FeatureFlagsDocumentSchema>;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Values for undefined flags. Checked on the raw JSON so it is reported alongside shape errors. */
function semanticProblems(raw: unknown): FlagDocumentProblem[] {
  if (!isObject(raw) || !isObject(raw['values'])) return [];
  const flags = isObject(raw['flags']) ? raw['flags'] : {};
  return Object.keys(raw['values'])
    .filter((key) => !(key in flags))
    .map((key) => ({ Location: `$.values.${key}`, Reason: `value given for flag "${key}", which is not defined under "flags"`, Type: 'Semantic' as const }));
}

/** One reason a document is not valid feature-flag content, shaped like AppConfig's InvalidConfigurationDetail. */
export interface FlagDocumentProblem {
  readonly Location: string;
  readonly Reason: string;
  readonly Type: 'Syntactic' | 'Semantic';
}

/** Parses and validates feature-flag content; returns the document or every problem found. */
export function checkFlagDocument(text: string): { ok: true; doc: FeatureFlagsDocument } | { ok: false; problems: FlagDocumentProblem[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    return { ok: false, problems: [{ Location: '$', Reason: `not valid JSON: ${(cause as Error).message}`, Type: 'Syntactic' }] };
  }
  const result = FeatureFlagsDocumentSchema.safeParse(raw);
  const problems: FlagDocumentProblem[] = [
    ...(result.success ? [] : result.error.issues.map((issue) => ({ Location: ['$', ...issue.path.map(String)].join('.'), Reason: issue.message, Type: 'Syntactic' as const }))),
    ...semanticProblems(raw),
  ];
  if (result.success && problems.length === 0) return { ok: true, doc: result.data };
  return { ok: false, problems };
}

/** Builds feature-flag content: every flag in `names`, enabled per `values` (missing values are off). */
export function buildFlagDocument(names: Readonly<Record<string, string>>, values: Readonly<Record<string, boolean>>): FeatureFlagsDocument {
  const flags: Record<string, { name: string }> = {};
  const vals: Record<string, { enabled: boolean }> = {};
  for (const [key, name] of Object.entries(names)) {
    flags[key] = { name };
    vals[key] = { enabled: values[key] ?? false };
  }
  return { version: '1', flags, values: vals };
}

/** The enabled state of each flag in a document (flags without a value count as off). */
export function flagStates(doc: FeatureFlagsDocument): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const key of Object.keys(doc.flags ?? {})) out[key] = doc.values?.[key]?.enabled ?? false;
  return out;
}
