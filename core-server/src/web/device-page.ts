// The /device page (the device flow's `verification_uri`): a logged-in operator types the code
// the agent shows (or follows the agent's link carrying it) and sees THAT request only — its
// label, the address it came from and when — before approving or denying it. Pending requests of
// strangers are never listed. Plain HTML + one script file so the strict CSP (no inline script)
// holds. Shares the review page's sessionStorage token (same origin).
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
  <form id="lookup" hidden>
    <label>Code shown by the agent <input id="code" autocomplete="off" placeholder="BCDF-GHJK" required></label>
    <button type="submit">Look up</button>
  </form>
  <section id="flow" hidden>
    <p>Approve only if this is your agent: the code must match what it shows, and you should recognise the address and time.</p>
    <dl>
      <dt>Code</dt><dd><code id="flow-code"></code></dd>
      <dt>Agent label</dt><dd id="flow-label"></dd>
      <dt>Requested from</dt><dd id="flow-ip"></dd>
      <dt>Requested at</dt><dd id="flow-at"></dd>
      <dt>Expires at</dt><dd id="flow-expires"></dd>
    </dl>
    <button id="approve" type="button">Approve</button>
    <button id="deny" type="button">Deny</button>
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
#flow{border:1px solid #4caf50;border-radius:6px;padding:.75rem;margin:.5rem 0}
dt{color:#aaa;font-size:.85rem}dd{margin:0 0 .5rem 0}code{font-size:1.4rem;letter-spacing:.1em}
#status{min-height:1.5em}`;

export const DEVICE_PAGE_JS = `const KEY = 'retaia.review.token';
const $ = (id) => document.getElementById(id);
const status = (msg) => { $('status').textContent = msg; };
let code = (new URLSearchParams(location.search).get('user_code') || '').trim().toUpperCase();

async function api(method, path, body) {
  const res = await fetch('/api/v1' + path, {
    method,
    headers: { authorization: 'Bearer ' + sessionStorage.getItem(KEY), 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (res.status === 401) { sessionStorage.removeItem(KEY); showLogin(); throw new Error('signed out'); }
  if (!res.ok) { const e = new Error(json.message || res.statusText); e.status = res.status; throw e; }
  return json;
}

function show(id) {
  for (const s of ['login', 'lookup', 'flow']) $(s).hidden = s !== id;
}
function showLogin() { show('login'); }

async function refresh() {
  if (!code) { show('lookup'); return; }
  let f;
  try {
    f = await api('GET', '/auth/clients/device/pending?user_code=' + encodeURIComponent(code));
  } catch (e) {
    if (e.status === 404 || e.status === 422) {
      show('lookup');
      $('code').value = code;
      status('No device is waiting with code ' + code + ' (mistyped, expired or already handled).');
      return;
    }
    throw e;
  }
  show('flow');
  $('flow-code').textContent = f.user_code;
  $('flow-label').textContent = f.client_label || 'unnamed agent';
  $('flow-ip').textContent = f.requester_ip || 'unknown address';
  $('flow-at').textContent = new Date(f.requested_at).toLocaleString();
  $('flow-expires').textContent = new Date(f.expires_at).toLocaleTimeString();
}

async function decide(action) {
  try {
    await api('POST', '/auth/clients/device/' + action, { user_code: code });
    status((action === 'approve' ? 'Approved ' : 'Denied ') + code);
    show('lookup');
    code = '';
  } catch (e) { status(e.message); }
}
$('approve').addEventListener('click', () => decide('approve'));
$('deny').addEventListener('click', () => decide('deny'));

$('lookup').addEventListener('submit', (ev) => {
  ev.preventDefault();
  code = $('code').value.trim().toUpperCase();
  status('');
  refresh().catch((e) => status(e.message));
});

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
