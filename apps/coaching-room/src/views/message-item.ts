import { feedbackCardFrom } from '../ai-feedback';
import { unstoredMessage } from '../broadcast-message';
import type { AuthorRole, Message, Role } from '../contract-types';
import { allowedActions, placementOf, type Placement } from '../placement';
import { stateNoticeText } from '../state-notice';
import type { TimelineEntry } from '../timeline';
import { h } from './dom';
import { feedbackCardElement } from './feedback-card';

export interface EntryContext {
  selfId: string;
  selfRole: Role;
  /** Ended session or no connection: nothing can be edited or deleted now. */
  locked: boolean;
  editingId: string | null;
  confirmingDeleteId: string | null;
  nameOf(authorId: string, role: AuthorRole): string;
}

export interface EntryHandlers {
  startEdit(id: string): void;
  cancelEdit(): void;
  saveEdit(id: string, text: string): void;
  askDelete(id: string): void;
  cancelDelete(): void;
  confirmDelete(id: string): void;
}

const TYPE_TAG: Record<string, string> = {
  coach_tip: 'Tip',
  feeling_update: 'Feeling',
  focus_point: 'Focus point',
  swing_created: 'New swing',
  swing_analyzed: 'Swing analysed',
};

const ROLE_LABEL: Record<string, string> = { student: 'Student', coach: 'Coach', ai: 'AI', system: 'System' };

function timeOf(iso: string): HTMLTimeElement | null {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  return h('time', { datetime: iso, class: 'msg-time' }, d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
}

function excerpt(text: string): string {
  const chars = [...text];
  return chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : text;
}

function editForm(message: Message, handlers: EntryHandlers): HTMLFormElement {
  const inputId = `edit-${message.id}`;
  const input = h('textarea', { id: inputId, class: 'msg-edit-input', rows: 2, maxlength: 4000, 'data-testid': 'message-edit-input' });
  input.value = message.message;
  input.addEventListener('keydown', (e) => {
    const ev = e as KeyboardEvent;
    if (ev.key === 'Escape') handlers.cancelEdit();
    else if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      handlers.saveEdit(message.id, input.value);
    }
  });
  const form = h(
    'form',
    { class: 'msg-edit', 'data-testid': 'message-edit-form' },
    h('label', { for: inputId, class: 'visually-hidden' }, 'Edit your message'),
    input,
    h(
      'div',
      { class: 'msg-actions' },
      h('button', { type: 'submit', class: 'btn btn-small btn-primary', 'data-testid': 'message-edit-save' }, 'Save'),
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'message-edit-cancel', onclick: () => handlers.cancelEdit() }, 'Cancel'),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    handlers.saveEdit(message.id, input.value);
  });
  return form;
}

function actionsFor(message: Message, placement: Placement, ctx: EntryContext, handlers: EntryHandlers): HTMLElement | null {
  const allowed = allowedActions(placement, ctx.selfRole);
  if (ctx.locked || (!allowed.edit && !allowed.delete)) return null;
  if (ctx.confirmingDeleteId === message.id) {
    return h(
      'div',
      { class: 'msg-actions', role: 'group', 'aria-label': 'Confirm delete' },
      h('span', { class: 'msg-confirm' }, 'Delete this message?'),
      h('button', { type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'message-delete-confirm', onclick: () => handlers.confirmDelete(message.id) }, 'Delete'),
      h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'message-delete-cancel', onclick: () => handlers.cancelDelete() }, 'Keep'),
    );
  }
  const what = excerpt(message.message);
  return h(
    'div',
    { class: 'msg-actions' },
    allowed.edit
      ? h('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-testid': 'message-edit', 'aria-label': `Edit message: ${what}`, onclick: () => handlers.startEdit(message.id) }, 'Edit')
      : null,
    allowed.delete
      ? h('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-testid': 'message-delete', 'aria-label': `Delete message: ${what}`, onclick: () => handlers.askDelete(message.id) }, 'Delete')
      : null,
  );
}

/** `live`: shown without a stored row (no id), so it cannot be edited or deleted. */
function messageElement(message: Message, ctx: EntryContext, handlers: EntryHandlers, live: boolean): HTMLLIElement {
  const placement = placementOf(message, ctx.selfId, ctx.selfRole);
  const align = placement === 'own' ? 'right' : placement === 'system' ? 'center' : 'left';
  const attrs = {
    class: `msg msg--${placement}`,
    'data-testid': 'message',
    'data-message-id': live ? null : message.id,
    'data-live': live ? 'true' : null,
    'data-kind': placement,
    'data-align': align,
    'data-type': message.type,
  };
  if (placement === 'system') {
    const text = message.type === 'session_state' ? (stateNoticeText(message.meta) ?? message.message) : message.message;
    return h('li', attrs, h('p', { class: 'system-text', 'data-testid': 'message-text' }, text), timeOf(message.inserted_at));
  }
  const edited = typeof message.meta?.edited_at === 'number';
  const card = placement === 'ai' && message.type !== 'ai_insight' ? feedbackCardFrom(message as unknown as Record<string, unknown>) : null;
  const author = placement === 'own' ? 'You' : ctx.nameOf(message.author_id, message.author_role);
  const head = h(
    'div',
    { class: 'msg-head' },
    h('span', { class: 'msg-author', 'data-testid': 'message-author' }, author),
    placement === 'ai' ? h('span', { class: 'insight-badge', 'data-testid': 'insight-badge' }, 'Insight') : h('span', { class: `role-badge role-badge--${message.author_role}` }, ROLE_LABEL[message.author_role] ?? message.author_role),
    TYPE_TAG[message.type] ? h('span', { class: 'type-tag' }, TYPE_TAG[message.type]!) : null,
    timeOf(message.inserted_at),
  );
  const editing = !live && ctx.editingId === message.id && !ctx.locked;
  const body =
    editing
      ? editForm(message, handlers)
      : card
        ? feedbackCardElement(card)
        : h('p', { class: 'msg-text', 'data-testid': 'message-text' }, message.message);
  return h(
    'li',
    attrs,
    h(
      'div',
      { class: 'bubble' },
      head,
      body,
      edited ? h('span', { class: 'msg-edited', 'data-testid': 'message-edited' }, '(edited)') : null,
      editing || live ? null : actionsFor(message, placement, ctx, handlers),
    ),
  );
}

/** One timeline row: a stored message, or a live one without a stored row. */
export function entryElement(entry: TimelineEntry, ctx: EntryContext, handlers: EntryHandlers): HTMLLIElement {
  if (entry.kind === 'message') return messageElement(entry.message, ctx, handlers, false);
  return messageElement(unstoredMessage(entry.type, entry.payload, entry.receivedAt), ctx, handlers, true);
}
