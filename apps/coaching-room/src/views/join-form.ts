import type { Role } from '../contract-types';
import { byId } from './dom';

export interface JoinRequest {
  role: Role;
  name: string;
  sessionId: string;
  /** a pasted token; empty means "ask the dev server for one" */
  token: string;
}

const REMEMBER_KEY = 'cinder.coaching-room.last-join';
const SESSION_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,120}$/;

/** The newcomer's form: role, name and session id (prefilled from the link or the last visit). */
export class JoinForm {
  private readonly view = byId('join-view');
  private readonly form = byId<HTMLFormElement>('join-form');
  private readonly name = byId<HTMLInputElement>('join-name');
  private readonly session = byId<HTMLInputElement>('join-session');
  private readonly token = byId<HTMLTextAreaElement>('join-token');
  private readonly error = byId('join-error');
  private readonly submit = byId<HTMLButtonElement>('join-submit');

  constructor(onJoin: (request: JoinRequest) => void) {
    this.prefill();
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const request = this.read();
      if (!request) return;
      this.remember(request);
      onJoin(request);
    });
  }

  /** A server with a real JWT secret hands out no dev tokens: the token box becomes the way in. */
  requireToken(): void {
    const box = this.token.closest('details');
    if (box) box.open = true;
    this.token.required = true;
    byId('join-token-label').textContent = 'Access token (this server does not hand out development tokens)';
  }

  show(error?: string): void {
    this.view.hidden = false;
    this.setBusy(false);
    if (error) this.showError(error);
    this.name.focus();
  }

  hide(): void {
    this.view.hidden = true;
    this.showError(null);
  }

  setBusy(busy: boolean): void {
    this.submit.disabled = busy;
    this.submit.textContent = busy ? 'Joining…' : 'Join session';
  }

  showError(text: string | null): void {
    this.error.textContent = text ?? '';
    this.error.hidden = text === null;
  }

  private read(): JoinRequest | null {
    const role = (this.form.elements.namedItem('role') as RadioNodeList).value === 'coach' ? 'coach' : 'student';
    const name = this.name.value.trim();
    const sessionId = this.session.value.trim();
    this.name.setAttribute('aria-invalid', String(name === ''));
    this.session.setAttribute('aria-invalid', String(!SESSION_ID_PATTERN.test(sessionId)));
    if (name === '') {
      this.showError('Please enter your name.');
      this.name.focus();
      return null;
    }
    if (!SESSION_ID_PATTERN.test(sessionId)) {
      this.showError('Please enter a session id: letters, digits, and . _ : - only (up to 120).');
      this.session.focus();
      return null;
    }
    this.showError(null);
    return { role, name, sessionId, token: this.token.value.trim() };
  }

  private prefill(): void {
    const params = new URLSearchParams(location.search);
    let remembered: Partial<JoinRequest> = {};
    try {
      remembered = JSON.parse(localStorage.getItem(REMEMBER_KEY) ?? '{}') as Partial<JoinRequest>;
    } catch {
      // nothing remembered
    }
    const role = params.get('role') ?? remembered.role;
    if (role === 'coach' || role === 'student') {
      const radio = this.form.querySelector<HTMLInputElement>(`input[name="role"][value="${role}"]`);
      if (radio) radio.checked = true;
    }
    this.name.value = params.get('name') ?? remembered.name ?? '';
    this.session.value = params.get('session') ?? remembered.sessionId ?? 'demo';
  }

  private remember(request: JoinRequest): void {
    try {
      localStorage.setItem(REMEMBER_KEY, JSON.stringify({ role: request.role, name: request.name, sessionId: request.sessionId }));
    } catch {
      // storage disabled: nothing to remember
    }
  }
}
