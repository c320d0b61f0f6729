// Transient status messages in one live region (screen readers announce them).
export type ToastKind = 'ok' | 'info' | 'warn' | 'error';

function region(): HTMLElement {
  let el = document.getElementById('toasts');
  if (!el) {
    el = document.createElement('div');
    el.id = 'toasts';
    el.setAttribute('role', 'status');
    el.setAttribute('aria-live', 'polite');
    document.body.append(el);
  }
  return el;
}

export function toast(
  message: string,
  kind: ToastKind = 'info',
  ms = kind === 'error' ? 8000 : 4000,
): void {
  const el = document.createElement('div');
  el.className = `toast toast-${kind}`;
  el.textContent = message;
  const r = region();
  r.append(el);
  // Keep the stack short: a fast reviewer would otherwise bury the page in confirmations.
  while (r.childElementCount > 3) r.firstElementChild?.remove();
  setTimeout(() => el.remove(), ms);
}
