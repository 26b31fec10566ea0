import { h, byId } from './dom';

const NOTICE_MS = 8000;

/** Short-lived messages about failed actions, announced to screen readers as alerts. */
export class Notices {
  private readonly area = byId('notices');

  show(text: string): void {
    const item = h(
      'div',
      { class: 'notice', 'data-testid': 'notice' },
      h('span', {}, text),
      h('button', { type: 'button', class: 'notice-close', 'aria-label': 'Dismiss', onclick: () => item.remove() }, '×'),
    );
    this.area.append(item);
    setTimeout(() => item.remove(), NOTICE_MS);
  }

  clear(): void {
    this.area.replaceChildren();
  }
}
