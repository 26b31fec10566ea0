import { byId } from './dom';

/** A `typing: true` that is never followed by `false` (tab closed) must not stick forever. */
const TYPING_EXPIRY_MS = 6000;

/** "Ian is typing…" from the others' `typing` events. */
export class TypingIndicator {
  private readonly el = byId('typing-indicator');
  private readonly typists = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly nameOf: (userId: string) => string) {}

  set(userId: string, typing: boolean): void {
    clearTimeout(this.typists.get(userId));
    this.typists.delete(userId);
    if (typing) this.typists.set(userId, setTimeout(() => this.set(userId, false), TYPING_EXPIRY_MS));
    this.render();
  }

  clear(): void {
    for (const timer of this.typists.values()) clearTimeout(timer);
    this.typists.clear();
    this.render();
  }

  render(): void {
    const names = [...this.typists.keys()].map(this.nameOf);
    this.el.textContent =
      names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are typing…`;
  }
}
