import type { FeedbackCard } from '../ai-feedback';
import { h } from './dom';

/** The seed's real-time feedback card: summary, metrics and recommendations (the bubble around it carries the Insight badge). */
export function feedbackCardElement(card: FeedbackCard): HTMLElement {
  return h(
    'div',
    { class: 'ai-card', 'data-testid': 'ai-card' },
    h(
      'div',
      { class: 'ai-card-head' },
      h('strong', { class: 'ai-card-title' }, 'AI swing feedback'),
      card.level ? h('span', { class: 'ai-level' }, card.level) : null,
    ),
    card.summary ? h('p', { class: 'ai-summary', 'data-testid': 'ai-summary' }, card.summary) : null,
    card.metrics.length > 0
      ? h(
          'dl',
          { class: 'ai-metrics', 'data-testid': 'ai-metrics' },
          ...card.metrics.map((m) => h('div', { class: 'ai-metric' }, h('dt', {}, m.name), h('dd', {}, m.value))),
        )
      : null,
    card.recommendations.length > 0
      ? h(
          'div',
          { class: 'ai-recs' },
          h('p', { class: 'ai-recs-title' }, 'Recommendations'),
          h('ul', { 'data-testid': 'ai-recommendations' }, ...card.recommendations.map((r) => h('li', {}, r))),
        )
      : null,
    card.swingId ? h('p', { class: 'ai-swing' }, `Swing ${card.swingId}`) : null,
  );
}
