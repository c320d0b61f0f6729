// Entry point: theme, session, media auth, then either the login form or the review screen.
import { ReviewApi } from './api-client.js';
import { renderLogin } from './login-view.js';
import { MediaAuth } from './media-auth.js';
import { ReviewApp } from './review-app.js';
import { sessionStore } from './session-store.js';
import './styles.css';

const root = document.getElementById('app')!;
const saved = localStorage.getItem('retaia.review.theme');
document.documentElement.dataset.theme =
  saved ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');

let expired = false;
const api = new ReviewApi(
  () => sessionStore.get(),
  () => {
    // Any 401 ends the session: back to the login form once, with the reason.
    if (expired) return;
    expired = true;
    sessionStore.clear();
    media.pushToken();
    showLogin('Your session has expired. Please sign in again.');
  },
);
const media = new MediaAuth(api, () => sessionStore.get());

let app: ReviewApp | null = null;

function showLogin(notice?: string) {
  app?.stop();
  app = null;
  renderLogin(
    root,
    api,
    (token) => {
      sessionStore.set(token);
      expired = false;
      media.pushToken();
      void showReview();
    },
    notice,
  );
}

async function showReview() {
  app = new ReviewApp(root, api, media, () => {
    sessionStore.clear();
    media.pushToken();
    location.reload();
  });
  await app.start();
}

void (async () => {
  await media.init(new URL('./sw.js', location.href).href);
  document.documentElement.dataset.mediaAuth = media.mode;
  if (sessionStore.get()) await showReview();
  else showLogin();
})();
