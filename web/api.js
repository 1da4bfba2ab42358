// The client of the public API (docs/api.md): its paths, JSON in and out, timeouts, and the wait a refusal asks for.

export const API = {
  sendCode: '/api/v1/sms-auth/send-code',
  resendCode: '/api/v1/sms-auth/resend-code',
  verifyCode: '/api/v1/sms-auth/verify-code',
  refresh: '/api/v1/auth/refresh',
  logout: '/api/v1/auth/logout',
  me: '/api/v1/auth/me',
};

const REQUEST_TIMEOUT_MS = 15000;
export const LOGOUT_TIMEOUT_MS = 5000;

function retryAfterSeconds(response, data) {
  const header = response.headers.get('Retry-After');
  if (header && /^\d+$/.test(header.trim())) return Number(header.trim());
  if (header) {
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(1, Math.ceil((date - Date.now()) / 1000));
  }
  return Number.isFinite(data.retry_after) ? data.retry_after : null;
}

// Never throws: a network failure or a timeout is status 0; a body that is not JSON is {}.
export async function callApi(path, { method = 'POST', body, token, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) init.body = JSON.stringify(body);
  if (typeof AbortSignal.timeout === 'function') init.signal = AbortSignal.timeout(timeoutMs);
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, data: {}, retryAfter: null };
  }
  let data = {};
  try {
    const parsed = await response.json();
    if (parsed && typeof parsed === 'object') data = parsed;
  } catch {
    // an empty or non-JSON body (a proxy's error page): the status says enough
  }
  return { ok: response.ok, status: response.status, data, retryAfter: retryAfterSeconds(response, data) };
}
