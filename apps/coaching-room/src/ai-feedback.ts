/** What an AI feedback card shows (the seed's `ai:feedback` payload). */
export interface FeedbackCard {
  summary: string;
  metrics: Array<{ name: string; value: string }>;
  recommendations: string[];
  level: string | null;
  swingId: string | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasCardFields(v: Record<string, unknown>): boolean {
  return 'summary' in v || 'metrics' in v || 'recommendations' in v;
}

function displayValue(v: unknown): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  return null;
}

/** `face_angle` → `Face angle`. */
function metricLabel(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Reads card data from either form it arrives in: the raw broadcast payload
 * (`{summary, metrics, recommendations, ...}`, plus the Message fields when
 * it was stored) or a stored Message from history, whose `meta` holds them.
 * Returns null when there is nothing card-like to show.
 */
export function feedbackCardFrom(source: Record<string, unknown>): FeedbackCard | null {
  const data = hasCardFields(source) ? source : isRecord(source.meta) && hasCardFields(source.meta) ? source.meta : null;
  if (!data) return null;
  const summary =
    typeof data.summary === 'string' && data.summary.trim() !== ''
      ? data.summary
      : typeof source.message === 'string'
        ? source.message
        : '';
  const metrics = isRecord(data.metrics)
    ? Object.entries(data.metrics).flatMap(([name, v]) => {
        const value = displayValue(v);
        return value === null ? [] : [{ name: metricLabel(name), value }];
      })
    : [];
  const recommendations = Array.isArray(data.recommendations)
    ? data.recommendations.filter((r): r is string => typeof r === 'string' && r.trim() !== '')
    : [];
  return {
    summary,
    metrics,
    recommendations,
    level: typeof data.level === 'string' ? data.level : null,
    swingId: typeof data.swing_id === 'string' ? data.swing_id : null,
  };
}
