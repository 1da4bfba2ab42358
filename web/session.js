// The signed-in step and its session: tokens in localStorage, refresh before expiry under a lock shared by the tabs,
// the other tabs' changes, and logout.
import { API, LOGOUT_TIMEOUT_MS, callApi } from './api.js';
import { formatWait } from './i18n.js';
import { Countdown, setBusy, setMessage } from './ui.js';

// localStorage: the session outlives a reload and is shared by the tabs of this origin.
const SESSION_KEY = 'sms-auth.session';
// Refresh a little before the access token expires: a fifth of its life, at least 1 s and at most a minute early.
const REFRESH_LEAD_MIN_MS = 1000;
const REFRESH_LEAD_MAX_MS = 60000;
// After a failure that may pass (offline, 5xx), try again with these waits.
const REFRESH_RETRY_MS = [5000, 15000, 30000, 60000];
const STORAGE_SETTLE_MS = 300;  // how long a refreshing tab keeps the lock after saving the new tokens

// The access token's payload (phone_number, exp). Read for display only: the server checks the signature.
function decodeJwtPayload(token) {
  const part = typeof token === 'string' ? token.split('.')[1] : '';
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='));
    const payload = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    return payload && typeof payload === 'object' ? payload : null;
  } catch {
    return null;
  }
}

// Expiry is kept on this device's clock (receipt time + expires_in), so a skewed clock does not skew refreshes;
// the token's `exp` is the fallback when expires_in is missing.
function sessionFromTokens(data, receivedAt) {
  const payload = decodeJwtPayload(data.access_token);
  if (!payload || typeof data.refresh_token !== 'string' || !data.refresh_token) return null;
  const lifetime = Number(data.expires_in);
  let expiresAt = receivedAt + lifetime * 1000;
  if (!(lifetime > 0)) expiresAt = Number(payload.exp) > 0 ? Number(payload.exp) * 1000 : receivedAt;
  return {
    accessToken: data.access_token,
    refreshToken: data.refresh_token,
    receivedAt,
    expiresAt,
    phone: typeof payload.phone_number === 'string' ? payload.phone_number : '',
  };
}

function loadSession() {
  let stored;
  try {
    stored = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
  } catch {
    return null;
  }
  if (!stored || typeof stored.accessToken !== 'string' || typeof stored.refreshToken !== 'string') return null;
  const payload = decodeJwtPayload(stored.accessToken);
  if (!payload) return null;
  if (!(stored.expiresAt > 0)) stored.expiresAt = Number(payload.exp) * 1000 || 0;
  if (!(stored.receivedAt > 0)) stored.receivedAt = Number(payload.iat) * 1000 || stored.expiresAt;
  if (typeof stored.phone !== 'string' || !stored.phone) stored.phone = payload.phone_number || '';
  return stored;
}

function saveSession(session) {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

function refreshLead(current) {
  const lifetime = current.expiresAt - current.receivedAt;
  const lead = Math.min(REFRESH_LEAD_MAX_MS, Math.max(REFRESH_LEAD_MIN_MS, lifetime / 5));
  return Math.min(lead, lifetime / 2);  // a very short-lived token must not be refreshed in a loop
}

const refreshDue = (current) => Date.now() >= current.expiresAt - refreshLead(current);

// Tabs share one refresh token, which dies when used: a Web Lock lets one tab refresh while the others wait and
// then take the result (the server's reuse grace covers browsers without Web Locks).
function withRefreshLock(task) {
  if (navigator.locks && typeof navigator.locks.request === 'function') {
    return navigator.locks.request('sms-auth-refresh', task);
  }
  return task();
}

// Owns the session this tab shows (`current`) and its refresh: the timer, the failures so far, the refresh in
// flight, and an epoch bumped when a session ends, so that an answer arriving afterwards (a refresh in flight)
// cannot bring it back. `hooks`: showStep(name), formatPhone(e164), onShown() before the step shows (the code step
// forgets its number), onEnded(messageKey) after the session is gone.
export class Session {
  #current = null;
  #refreshTimer = 0;
  #refreshFailures = 0;
  #refreshing = null;
  #epoch = 0;
  #retryWait = new Countdown();

  constructor(elements, i18n, hooks) {
    this.el = elements;
    this.i18n = i18n;
    this.hooks = hooks;
    elements.logout.addEventListener('click', () => this.#logout());

    // Another tab signed in, refreshed or signed out.
    window.addEventListener('storage', (event) => {
      if (event.key !== SESSION_KEY && event.key !== null) return;
      const stored = loadSession();
      if (!stored && this.#current) {
        this.#end('session.logged_out');
      } else if (stored && (!this.#current || stored.accessToken !== this.#current.accessToken)) {
        this.#show(stored);
      }
    });

    // Timers sleep with the device; on return, refresh at once if the token is (nearly) expired.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.#current && refreshDue(this.#current)) this.#refresh();
    });
  }

  // At start-up: shows the stored session, if any, and checks it with the server.
  restore() {
    const restored = loadSession();
    if (!restored) return false;
    this.#show(restored);
    if (refreshDue(restored)) {
      this.#refresh();
    } else {
      this.#confirm(restored);
    }
    return true;
  }

  // The tokens of a verified code; false if they are not usable.
  signIn(data) {
    const created = sessionFromTokens(data, Date.now());
    if (!created) return false;
    saveSession(created);
    this.#refreshFailures = 0;
    this.#show(created);
    return true;
  }

  #scheduleRefresh(delayMs) {
    clearTimeout(this.#refreshTimer);
    const current = this.#current;
    const delay = delayMs ?? current.expiresAt - refreshLead(current) - Date.now();
    this.#refreshTimer = setTimeout(() => this.#refresh(), Math.min(Math.max(0, delay), 2 ** 31 - 1));
  }

  #show(current) {
    this.#current = current;
    this.hooks.onShown();
    this.el.phone.textContent = this.hooks.formatPhone(current.phone);
    this.el.expiry.textContent = this.i18n.formatTime(current.expiresAt);
    const wasShown = document.body.dataset.step === 'signedIn';
    this.hooks.showStep('signedIn');
    this.el.logout.disabled = false;
    if (!wasShown) {
      setMessage(this.el.message, '', '');
      this.el.logout.focus();
    }
    this.#scheduleRefresh();
  }

  // Leaves the signed-in step for the phone step; the stored session is gone (or never was).
  #end(messageKey) {
    clearTimeout(this.#refreshTimer);
    this.#retryWait.stop();
    localStorage.removeItem(SESSION_KEY);
    this.#current = null;
    this.#epoch += 1;
    this.#refreshFailures = 0;
    this.hooks.onEnded(messageKey);
  }

  // `refusedToken`: the server has just refused this access token although it is not due, so renew it anyway.
  #refresh(refusedToken) {
    if (!this.#refreshing) {
      this.#refreshing = withRefreshLock(() => this.#refreshUnderLock(refusedToken)).finally(() => {
        this.#refreshing = null;
      });
    }
    return this.#refreshing;
  }

  async #refreshUnderLock(refusedToken) {
    const stored = loadSession();
    if (!stored) {
      if (this.#current) this.#end('session.ended');
      return false;
    }
    if (!refreshDue(stored) && stored.accessToken !== refusedToken) {
      this.#show(stored);  // another tab refreshed while this one waited for the lock: take its tokens
      return true;
    }
    const epoch = this.#epoch;
    const result = await callApi(API.refresh, { body: { refresh_token: stored.refreshToken } });
    if (epoch !== this.#epoch) return false;  // signed out while the request was out
    const next = result.ok ? sessionFromTokens(result.data, Date.now()) : null;
    if (next) {
      saveSession(next);
      this.#refreshFailures = 0;
      this.#retryWait.stop();
      setMessage(this.el.message, '', '');
      this.#show(next);
      // Other tabs see localStorage through their own process, a moment later: keep the lock until they can, or the
      // next tab would read the old refresh token and present it again (a second presentation is a sibling, a third
      // ends the session).
      if (navigator.locks) await new Promise((resolve) => setTimeout(resolve, STORAGE_SETTLE_MS));
      return true;
    }
    if (result.status === 0 || result.status === 429 || result.status >= 500) {
      // Offline or the server is struggling: the refresh token is still good, so keep the session and retry.
      const failures = this.#refreshFailures;
      const wait = result.retryAfter ?? REFRESH_RETRY_MS[Math.min(failures, REFRESH_RETRY_MS.length - 1)] / 1000;
      this.#refreshFailures += 1;
      this.#scheduleRefresh(wait * 1000);
      const show = (left) => setMessage(this.el.message, 'error',
        this.i18n.t('signed_in.refresh_retry', { time: formatWait(left) }));
      this.#retryWait.start(wait, show, () => {});
      return false;
    }
    // Refused (revoked, expired, reused: 400/401), or a server without refresh (404): this session is over.
    this.#end('session.ended');
    return false;
  }

  // After a reload: is the stored access token still accepted? A server restarted with a new signing key (test mode
  // without JWT_SECRET) refuses it while its exp is still ahead; the refresh token then gets a new one.
  async #confirm(current) {
    const result = await callApi(API.me, { method: 'GET', token: current.accessToken });
    if (this.#current !== current) return;  // refreshed or signed out meanwhile
    if (result.ok) {
      if (typeof result.data.phone_number === 'string' && result.data.phone_number) {
        current.phone = result.data.phone_number;
        this.el.phone.textContent = this.hooks.formatPhone(current.phone);
      }
    } else if (result.status === 401) {
      this.#refresh(current.accessToken);
    }
    // 404 (a server without /me) or a network failure: nothing learnt, keep the session.
  }

  // An access token that may already be dead (the device slept) is refreshed first, so that logout can end the
  // session on the server; whatever happens there, this device forgets the session.
  async #logout() {
    setBusy(this.el.logout, true);
    clearTimeout(this.#refreshTimer);
    let current = loadSession() || this.#current;
    try {
      if (current && Date.now() >= current.expiresAt - REFRESH_LEAD_MIN_MS) {
        const renewed = await callApi(API.refresh, {
          body: { refresh_token: current.refreshToken }, timeoutMs: LOGOUT_TIMEOUT_MS,
        });
        current = (renewed.ok && sessionFromTokens(renewed.data, Date.now())) || current;
      }
      if (current) {
        await callApi(API.logout, { body: {}, token: current.accessToken, timeoutMs: LOGOUT_TIMEOUT_MS });
      }
    } finally {
      setBusy(this.el.logout, false);
      this.#end('session.logged_out');
    }
  }
}
