// What every step shows the same way: messages, busy buttons, countdowns, and the text of a failed API call.
import { formatWait } from './i18n.js';

export function setMessage(element, kind, text, detail) {
  element.className = kind ? `message ${kind}` : 'message';
  element.replaceChildren();
  if (text) element.append(text);
  if (detail) {
    const small = document.createElement('span');
    small.className = 'detail';
    small.textContent = detail;
    element.append(small);
  }
}

export function setBusy(button, busy) {
  button.disabled = busy;
  button.setAttribute('aria-busy', busy ? 'true' : 'false');
}

// One wait shown to the person. It ticks against a wall-clock deadline, so a throttled background tab shows the right
// time when it wakes.
export class Countdown {
  #timer = 0;

  get running() {
    return this.#timer !== 0;
  }

  start(seconds, onTick, onDone) {
    this.stop();
    const deadline = Date.now() + Math.max(0, seconds) * 1000;
    const tick = () => {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) {
        this.stop();
        onDone();
      } else {
        onTick(left);
      }
    };
    this.#timer = setInterval(tick, 250);
    tick();
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = 0;
  }
}

// Shows what went wrong; a 429 or 503 also disables `button` for the wait the server asked for, counted down by
// `countdown`.
export function showFailure(i18n, element, result, button, countdown) {
  const detail = typeof result.data.detail === 'string' ? result.data.detail : '';
  if (result.status === 0) {
    setMessage(element, 'error', i18n.t('error.network'));
  } else if ((result.status === 429 || result.status === 503) && button) {
    const key = result.status === 429 ? 'error.rate_limited' : 'error.unavailable';
    button.disabled = true;
    countdown.start(result.retryAfter ?? 1,
      (left) => setMessage(element, 'error', i18n.t(key, { time: formatWait(left) }), detail),
      () => {
        button.disabled = false;
        setMessage(element, 'info', i18n.t('code.try_again'));
      });
  } else if (result.status === 422) {
    setMessage(element, 'error', i18n.t('phone.invalid'), detail);
  } else if (result.status === 502) {
    setMessage(element, 'error', i18n.t('error.sms_rejected'), detail);
  } else if (result.status === 403) {
    setMessage(element, 'error', i18n.t('error.blocked'), detail);
  } else {
    setMessage(element, 'error', i18n.t('error.generic'), detail);
  }
}
