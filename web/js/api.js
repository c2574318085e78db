// Small client for the /api/v1 REST API: JSON in and out, the CSRF token of the cookie
// session on every unsafe request, errors as ApiError with the offending field.
let csrfToken = null;

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error;
    this.field = body && body.field;
    this.issues = (body && body.issues) || [];
  }
}

export async function api(method, url, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const fresh = res.headers.get('x-csrf-token');
  if (fresh) csrfToken = fresh;
  if (res.status === 204) return undefined;
  const text = await res.text();
  let data;
  try { data = text ? JSON.parse(text) : undefined; } catch { data = text; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** The session, or a redirect to the login page. `role`: the role the page needs. */
export async function requireSession(role) {
  try {
    const s = await api('GET', '/api/v1/auth/session');
    csrfToken = s.csrfToken || null;
    if (role && s.role !== role) {
      location.href = s.role === 'admin' ? '/ui/admin.html' : '/ui/self-care.html';
      return new Promise(() => {});
    }
    return s;
  } catch (e) {
    location.href = `/ui/login.html?next=${encodeURIComponent(location.pathname)}`;
    return new Promise(() => {});
  }
}

export function setCsrf(token) { csrfToken = token; }

export async function logout() {
  try { await api('POST', '/api/v1/auth/logout'); } finally { location.href = '/ui/login.html'; }
}
