import type { TimelineEntry } from '../timeline';
import { byId } from './dom';
import { entryElement, type EntryContext } from './message-item';

export interface TimelineActions {
  edit(id: string, text: string): Promise<boolean>;
  remove(id: string): Promise<boolean>;
}

type ViewContext = Omit<EntryContext, 'editingId' | 'confirmingDeleteId'>;

const NEAR_BOTTOM_PX = 60;

/**
 * Renders the timeline keyed by entry, rebuilding only rows whose content
 * changed, so a focused button or an open edit box survives new messages.
 * Follows new messages only when the reader is already at the bottom.
 */
export class TimelineView {
  private readonly list = byId<HTMLOListElement>('timeline');
  private readonly rows = new Map<string, { signature: string; el: HTMLLIElement }>();
  private editingId: string | null = null;
  private confirmingDeleteId: string | null = null;
  private last: { entries: TimelineEntry[]; ctx: ViewContext } | null = null;

  constructor(private readonly actions: TimelineActions) {}

  render(entries: TimelineEntry[], ctx: ViewContext): void {
    this.last = { entries, ctx };
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight <= NEAR_BOTTOM_PX;
    const full: EntryContext = { ...ctx, editingId: this.editingId, confirmingDeleteId: this.confirmingDeleteId };
    const keep = new Set<string>();
    let focusEdit: HTMLTextAreaElement | null = null;
    entries.forEach((entry, index) => {
      keep.add(entry.key);
      const signature = this.signature(entry, full);
      let row = this.rows.get(entry.key);
      if (!row || row.signature !== signature) {
        const el = entryElement(entry, full, {
          startEdit: (id) => this.setMode(id, null),
          cancelEdit: () => this.setMode(null, null),
          saveEdit: (id, text) => void this.save(id, text),
          askDelete: (id) => this.setMode(null, id),
          cancelDelete: () => this.setMode(null, null),
          confirmDelete: (id) => void this.remove(id),
        });
        if (row) row.el.replaceWith(el);
        row = { signature, el };
        this.rows.set(entry.key, row);
        if (entry.kind === 'message' && entry.message.id === this.editingId) focusEdit = el.querySelector('textarea');
      }
      const current = this.list.children[index];
      if (current !== row.el) this.list.insertBefore(row.el, current ?? null);
    });
    for (const [key, row] of this.rows) {
      if (!keep.has(key)) {
        row.el.remove();
        this.rows.delete(key);
      }
    }
    if (focusEdit) (focusEdit as HTMLTextAreaElement).focus();
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  }

  scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }

  reset(): void {
    this.rows.clear();
    this.list.replaceChildren();
    this.editingId = null;
    this.confirmingDeleteId = null;
    this.last = null;
  }

  private signature(entry: TimelineEntry, ctx: EntryContext): string {
    if (entry.kind === 'live') return entry.key;
    const m = entry.message;
    const own = m.author_id === ctx.selfId;
    return JSON.stringify([m, ctx.locked, own && ctx.editingId === m.id, ctx.confirmingDeleteId === m.id, ctx.nameOf(m.author_id, m.author_role)]);
  }

  private setMode(editingId: string | null, confirmingDeleteId: string | null): void {
    const restoreFocusTo = this.editingId ?? this.confirmingDeleteId;
    this.editingId = editingId;
    this.confirmingDeleteId = confirmingDeleteId;
    this.rerender();
    // Keyboard users land back on the message they were working on.
    if (editingId === null && confirmingDeleteId === null && restoreFocusTo !== null) {
      const row = this.list.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(restoreFocusTo)}"] button`);
      row?.focus();
    } else if (confirmingDeleteId !== null) {
      this.list.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(confirmingDeleteId)}"] [data-testid="message-delete-cancel"]`)?.focus();
    }
  }

  private async save(id: string, text: string): Promise<void> {
    if (text.trim() === '') return;
    if (await this.actions.edit(id, text)) this.setMode(null, null);
  }

  private async remove(id: string): Promise<void> {
    await this.actions.remove(id);
    this.setMode(null, null);
  }

  private rerender(): void {
    if (this.last) this.render(this.last.entries, this.last.ctx);
  }

  /** The message being edited was deleted or the session ended: leave the mode. */
  dropModesFor(id: string): void {
    if (this.editingId === id || this.confirmingDeleteId === id) {
      this.editingId = null;
      this.confirmingDeleteId = null;
    }
  }
}
