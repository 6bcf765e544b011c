// The one way the page talks to the sidecar: JSON over fetch with the session token, errors as
// ApiError carrying the server's {"error", "code", ...} body. The token lives in sessionStorage
// (gone with the tab); a 401 anywhere sends the page back to the login.
const TOKEN_KEY = 'sarang.token';

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.body = body || {};
  }
}

async function send(path, { method = 'GET', body, token = session.token } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  return response;
}

// The session is gone (logged out elsewhere, revoked, expired): back to the login. A wrong PIN
// is a 401 too, but with its own code, and keeps the session.
function sessionLost(status, body, token) {
  if (status === 401 && token && (!body || body.code === 'unauthorized')) {
    window.dispatchEvent(new CustomEvent('sarang:unauthorized'));
  }
}

export async function api(path, options = {}) {
  const response = await send(path, options);
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { error: text };
  }
  if (!response.ok) {
    if (!path.startsWith('/api/auth/')) sessionLost(response.status, parsed, options.token ?? session.token);
    throw new ApiError(response.status, parsed);
  }
  return parsed;
}

// Every result of a DRF-paginated list (count/next/results), following `next`.
export async function allPages(path, limit = 5000) {
  const results = [];
  let next = path;
  while (next && results.length < limit) {
    const page = await api(next);
    results.push(...(page.results || []));
    next = page.next;
  }
  return results;
}

// An image the API serves only with the session header, as a blob: URL for an <img>.
export async function imageUrl(path) {
  const response = await send(path);
  if (!response.ok) {
    sessionLost(response.status, null, session.token);
    throw new ApiError(response.status, null);
  }
  return URL.createObjectURL(await response.blob());
}

// A list out of the shapes the API uses: a bare array, a DRF page, or {key: [...]}.
export function listOf(answer, key) {
  if (Array.isArray(answer)) return answer;
  if (answer && Array.isArray(answer.results)) return answer.results;
  if (answer && key && Array.isArray(answer[key])) return answer[key];
  return [];
}
