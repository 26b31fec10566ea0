import { POSTABLE_TYPES, type Role } from '../contract-types';
import { byId, h } from './dom';

const TYPE_LABEL: Record<string, string> = {
  chat_message: 'Message',
  coach_tip: 'Tip',
  feeling_update: 'Feeling',
  focus_point: 'Focus point',
};

/** Stop saying "typing" after this much quiet; refresh it while typing goes on. */
const TYPING_IDLE_MS = 2500;
const TYPING_REFRESH_MS = 3000;

export interface ComposerActions {
  send(text: string, type: string): Promise<boolean>;
  typing(typing: boolean): void;
}

/** The message box: Enter sends, Shift+Enter breaks the line; tells the others while you type. */
export class Composer {
  private readonly form = byId<HTMLFormElement>('composer');
  private readonly input = byId<HTMLTextAreaElement>('composer-input');
  private readonly type = byId<HTMLSelectElement>('composer-type');
  private readonly sendButton = byId<HTMLButtonElement>('composer-send');
  private readonly why = byId('composer-disabled-reason');
  private enabled = false;
  private sending = false;
  private typingSince = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly actions: ComposerActions) {
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.input.addEventListener('keydown', (e) => {
      // isComposing: Enter also confirms a Korean/Japanese IME syllable and must not send then.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void this.submit();
      }
    });
    this.input.addEventListener('input', () => this.noteTyping());
  }

  setRole(role: Role): void {
    this.type.replaceChildren(...POSTABLE_TYPES[role].map((t) => h('option', { value: t }, TYPE_LABEL[t] ?? t)));
  }

  /** `reason` is shown next to the box when it cannot be used, so a disabled box is never a mystery. */
  setEnabled(enabled: boolean, reason = ''): void {
    this.enabled = enabled;
    this.input.disabled = !enabled;
    this.type.disabled = !enabled;
    this.sendButton.disabled = !enabled || this.sending;
    this.why.textContent = enabled ? '' : reason;
    this.why.hidden = enabled || reason === '';
    if (!enabled) this.stopTyping();
  }

  reset(): void {
    this.input.value = '';
    this.stopTyping();
  }

  focus(): void {
    this.input.focus();
  }

  private async submit(): Promise<void> {
    const text = this.input.value;
    if (!this.enabled || this.sending || text.trim() === '') return;
    this.sending = true;
    this.sendButton.disabled = true;
    this.stopTyping();
    try {
      if (await this.actions.send(text, this.type.value || 'chat_message')) {
        // Only clear what was sent: the user may have kept typing meanwhile.
        if (this.input.value === text) this.input.value = '';
        // A tip or a feeling is a one-off; the next message is plain chat unless chosen again.
        this.type.value = 'chat_message';
      }
    } finally {
      this.sending = false;
      this.sendButton.disabled = !this.enabled;
    }
  }

  private noteTyping(): void {
    if (!this.enabled) return;
    if (this.input.value.trim() === '') {
      this.stopTyping();
      return;
    }
    const now = Date.now();
    if (now - this.typingSince > TYPING_REFRESH_MS) {
      this.typingSince = now;
      this.actions.typing(true);
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.idleTimer);
    if (this.typingSince !== 0) {
      this.typingSince = 0;
      this.actions.typing(false);
    }
  }
}
