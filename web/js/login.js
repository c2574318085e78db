import { api, setCsrf } from './api.js';

const form = document.getElementById('login');
const status = document.getElementById('status');

function target(role) {
  const next = new URLSearchParams(location.search).get('next');
  if (next && /^\/ui\/[\w-]+\.html$/.test(next)) {
    if (role === 'admin' || next === '/ui/self-care.html') return next;
  }
  return role === 'admin' ? '/ui/admin.html' : '/ui/self-care.html';
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  status.className = 'status';
  status.textContent = 'Signing in…';
  try {
    const s = await api('POST', '/api/v1/auth/login', { username: form.username.value.trim(), password: form.password.value });
    setCsrf(s.csrfToken);
    location.href = target(s.role);
  } catch (e) {
    status.className = 'status error';
    status.textContent = e.status === 401 ? 'Wrong username or password.' : e.message;
    form.password.focus();
  }
});
form.username.focus();
