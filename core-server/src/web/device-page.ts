// The /device page (the device flow's `verification_uri`): a logged-in operator sees the pending
// user codes and approves or denies one. Plain HTML + one script file so the strict CSP (no
// inline script) holds. Shares the review page's sessionStorage token (same origin).
export const DEVICE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Retaia — approve a device</title>
<link rel="stylesheet" href="/device.css">
</head>
<body>
<main>
  <h1>Approve a device</h1>
  <form id="login" hidden>
    <label>Email <input id="email" type="email" autocomplete="username" required></label>
    <label>Password <input id="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Sign in</button>
  </form>
  <section id="pending" hidden>
    <p>Check that the code shown by the agent matches before approving.</p>
    <ul id="flows"></ul>
    <p id="empty" hidden>No device is waiting for approval.</p>
  </section>
  <p id="status" role="status"></p>
</main>
<script type="module" src="/device.js"></script>
</body>
</html>
`;

export const DEVICE_PAGE_CSS = `body{font-family:system-ui,sans-serif;background:#111;color:#eee;margin:0}
main{max-width:32rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.5rem 0}input{display:block;width:100%;padding:.4rem;margin-top:.2rem}
button{padding:.4rem .9rem;margin:.25rem .25rem 0 0;cursor:pointer}
li{list-style:none;border:1px solid #444;border-radius:6px;padding:.75rem;margin:.5rem 0}
li.highlight{border-color:#4caf50}code{font-size:1.4rem;letter-spacing:.1em}
#status{min-height:1.5em}`;

export const DEVICE_PAGE_JS = `const KEY = 'retaia.review.token';
const $ = (id) => document.getElementById(id);
const wanted = (new URLSearchParams(location.search).get('user_code') || '').toUpperCase();
const status = (msg) => { $('status').textContent = msg; };

async function api(method, path, body) {
  const res = await fetch('/api/v1' + path, {
    method,
    headers: { authorization: 'Bearer ' + sessionStorage.getItem(KEY), 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (res.status === 401) { sessionStorage.removeItem(KEY); showLogin(); throw new Error('signed out'); }
  if (!res.ok) throw new Error(json.message || res.statusText);
  return json;
}

function showLogin() { $('login').hidden = false; $('pending').hidden = true; }

async function refresh() {
  $('login').hidden = true; $('pending').hidden = false;
  const { items } = await api('GET', '/auth/clients/device/pending');
  const list = $('flows');
  list.replaceChildren();
  $('empty').hidden = items.length > 0;
  for (const f of items) {
    const li = document.createElement('li');
    if (f.user_code === wanted) li.className = 'highlight';
    const code = document.createElement('code');
    code.textContent = f.user_code;
    const label = document.createElement('div');
    label.textContent = (f.client_label || 'unnamed agent') + ' — expires ' + new Date(f.expires_at).toLocaleTimeString();
    const approve = document.createElement('button');
    approve.textContent = 'Approve';
    approve.dataset.action = 'approve';
    const deny = document.createElement('button');
    deny.textContent = 'Deny';
    deny.dataset.action = 'deny';
    for (const b of [approve, deny]) {
      b.dataset.code = f.user_code;
      b.addEventListener('click', async () => {
        try {
          await api('POST', '/auth/clients/device/' + b.dataset.action, { user_code: f.user_code });
          status((b.dataset.action === 'approve' ? 'Approved ' : 'Denied ') + f.user_code);
          await refresh();
        } catch (e) { status(e.message); }
      });
    }
    li.append(code, label, approve, deny);
    list.append(li);
  }
}

$('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const res = await fetch('/api/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: $('email').value, password: $('password').value, client_kind: 'UI_WEB' }),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) return status(json.message || 'sign-in failed');
  sessionStorage.setItem(KEY, json.access_token);
  status('');
  refresh().catch((e) => status(e.message));
});

if (sessionStorage.getItem(KEY)) refresh().catch((e) => status(e.message)); else showLogin();
`;
