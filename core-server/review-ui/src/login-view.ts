// Sign-in form: POST /auth/login with client_kind UI_WEB; asks for a TOTP code only when the
// server answers MFA_REQUIRED.
import { ApiError, type ReviewApi } from './api-client.js';
import { clear, h } from './dom-builder.js';

export function renderLogin(
  root: HTMLElement,
  api: ReviewApi,
  onToken: (token: string) => void,
  notice?: string,
): void {
  const email = h('input', {
    type: 'email',
    name: 'email',
    autocomplete: 'username',
    required: true,
    placeholder: 'you@studio.example',
  });
  const password = h('input', {
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const otp = h('input', {
    type: 'text',
    name: 'otp',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
  });
  const otpRow = h('label', { hidden: true }, 'Authentication code', otp);
  const error = h('p', { class: 'error-text', role: 'alert' }, notice ?? '');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'login-card', 'aria-label': 'Sign in' },
    h(
      'div',
      { class: 'brand big' },
      h('span', { class: 'logo' }, '◆'),
      'Retaia ',
      h('b', {}, 'Review'),
    ),
    h('p', { class: 'muted' }, 'Sign in to review and decide on new rushes.'),
    h('label', {}, 'Email', email),
    h('label', {}, 'Password', password),
    otpRow,
    error,
    submit,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    try {
      onToken(await api.login(email.value.trim(), password.value, otp.value.trim() || undefined));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'MFA_REQUIRED') {
        otpRow.hidden = false;
        otp.focus();
        error.textContent = 'Enter the 6-digit code from your authenticator app.';
      } else if (err instanceof ApiError && err.status === 401) {
        error.textContent = 'Wrong email or password.';
      } else if (err instanceof ApiError && err.status === 429) {
        error.textContent = 'Too many attempts. Wait a moment and try again.';
      } else {
        error.textContent = (err as Error).message;
      }
    } finally {
      submit.disabled = false;
    }
  });
  clear(root);
  root.append(h('div', { class: 'login-screen' }, form));
  email.focus();
}
