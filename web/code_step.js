// The code step: six boxes for the code (typed, pasted, autofilled or read by WebOTP), verify, resend, and the number
// awaiting its code, kept across a reload.
import { API, callApi } from './api.js';
import { formatWait } from './i18n.js';
import { Countdown, setBusy, setMessage, showFailure } from './ui.js';

const CODE_LENGTH = 6;
// sessionStorage: the number waiting for its code. A phone browser often discards the tab while the user reads the
// SMS in another app; on return the page reloads and must still be at the code step.
const PENDING_KEY = 'sms-auth.pending';

// Owns the number awaiting its code (`pending`: {phone, resendAt}), the digits in the boxes, and the request to the
// browser for the SMS (WebOTP). `hooks`: showStep(name), formatPhone(e164), isPhone(e164) for a stored number,
// onVerified(tokens) → whether a session came of them, onChangePhone(e164).
export class CodeStep {
  #pending = null;
  #digits = Array(CODE_LENGTH).fill('');
  #verifying = false;
  #smsCodeRequest = null;
  #resendWait = new Countdown();
  #lockWait = new Countdown();  // the boxes are locked after too many wrong codes (429)

  constructor(elements, i18n, hooks) {
    this.el = elements;
    this.i18n = i18n;
    this.hooks = hooks;
    this.boxes = Array.from(elements.fieldset.querySelectorAll('.code-box'));
    this.boxes.forEach((box, index) => this.#listenToBox(box, index));
    elements.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#verify();
    });
    elements.resend.addEventListener('click', () => this.#resend());
    elements.changePhone.addEventListener('click', () => {
      const phone = this.#pending ? this.#pending.phone : '';
      this.#pending = null;
      hooks.onChangePhone(phone);
    });
  }

  // The texts that depend on the language, after a switch.
  relabel() {
    this.boxes.forEach((box, index) => box.setAttribute('aria-label', this.i18n.t('code.digit', { n: index + 1 })));
    if (this.#pending && document.body.dataset.step === 'code') {
      this.#renderSentTo();
      if (!this.el.resend.disabled) this.el.resend.textContent = this.i18n.t('code.resend');
    }
  }

  // After a reload: back at the code step if a number was awaiting its code.
  restore() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(PENDING_KEY) || 'null');
      if (stored && typeof stored.phone === 'string' && this.hooks.isPhone(stored.phone)) {
        this.#pending = { phone: stored.phone, resendAt: Number(stored.resendAt) || 0 };
        this.#enter();
        return true;
      }
    } catch {
      // unreadable: start over
    }
    return false;
  }

  start(phone, resendAfterSeconds) {
    this.#pending = { phone, resendAt: Date.now() + Math.max(0, Number(resendAfterSeconds) || 0) * 1000 };
    this.#savePending();
    this.#enter();
  }

  // No number awaits a code any more (signed in, or back at the phone step).
  forget() {
    this.#pending = null;
    sessionStorage.removeItem(PENDING_KEY);
    this.#resendWait.stop();
    this.#lockWait.stop();
  }

  // WebOTP (Chrome on Android): the browser offers the code of an SMS whose last line is "@<this host> #<code>"
  // (SMS_WEBOTP_DOMAIN on the server). One request at a time, aborted when the code step is left.
  #listenForSmsCode() {
    this.stopListening();
    if (!('OTPCredential' in window) || !navigator.credentials || typeof AbortController !== 'function') return;
    const controller = new AbortController();
    this.#smsCodeRequest = controller;
    navigator.credentials.get({ otp: { transport: ['sms'] }, signal: controller.signal }).then((credential) => {
      if (this.#smsCodeRequest !== controller) return;
      this.#smsCodeRequest = null;
      if (credential && typeof credential.code === 'string' && document.body.dataset.step === 'code'
        && !this.#verifying) {
        this.#enterDigits(credential.code, 0);
      }
    }).catch(() => {
      // aborted, dismissed by the person, or no SMS came: the code is typed instead
    });
  }

  stopListening() {
    if (!this.#smsCodeRequest) return;
    this.#smsCodeRequest.abort();
    this.#smsCodeRequest = null;
  }

  #savePending() {
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(this.#pending));
  }

  #enter() {
    this.#renderSentTo();
    this.#clearCode();
    this.el.fieldset.classList.remove('invalid');
    setMessage(this.el.message, '', '');
    this.#setEnabled(true);
    this.hooks.showStep('code');
    this.#runResendCountdown();
    this.#focusBox(0);
    this.#listenForSmsCode();
  }

  #renderSentTo() {
    this.el.sentTo.replaceChildren(`${this.i18n.t('code.sent_to')} `);
    const strong = document.createElement('strong');
    strong.textContent = this.hooks.formatPhone(this.#pending.phone);
    this.el.sentTo.append(strong, '.');
  }

  #renderCode() {
    this.boxes.forEach((box, i) => {
      if (box.value !== this.#digits[i]) box.value = this.#digits[i];
    });
  }

  #clearCode() {
    this.#digits.fill('');
    this.#renderCode();
  }

  #focusBox(index) {
    const box = this.boxes[Math.max(0, Math.min(index, CODE_LENGTH - 1))];
    box.focus();
    box.select();
  }

  #setEnabled(enabled) {
    this.el.fieldset.disabled = !enabled;
    this.el.submit.disabled = !enabled;
  }

  // Digits typed, pasted or filled in by the browser from the SMS: a whole code fills every box, a part fills from
  // this box on; anything that is not a digit is refused.
  #enterDigits(text, index) {
    const digits = String(text).replace(/\D/g, '').slice(0, CODE_LENGTH);
    if (!digits) {
      this.#renderCode();
      return;
    }
    let position = digits.length === CODE_LENGTH ? 0 : index;
    for (const digit of digits) {
      if (position >= CODE_LENGTH) break;
      this.#digits[position] = digit;
      position += 1;
    }
    this.#renderCode();
    this.el.fieldset.classList.remove('invalid');
    this.#focusBox(position);
    if (this.#digits.every(Boolean)) this.#verify();
  }

  #eraseBackward(index) {
    if (this.#digits[index]) {
      this.#digits[index] = '';
    } else if (index > 0) {
      this.#digits[index - 1] = '';
      this.#focusBox(index - 1);
    }
    this.#renderCode();
  }

  #listenToBox(box, index) {
    box.addEventListener('focus', () => box.select());
    box.addEventListener('input', (event) => {
      if (event.inputType && event.inputType.startsWith('delete')) {
        this.#digits[index] = '';
        this.#renderCode();
        return;
      }
      // A typed key carries its own text; autofill and other insertions leave only the box's value to read.
      const typed = event.inputType === 'insertText' && typeof event.data === 'string' ? event.data : box.value;
      this.#enterDigits(typed, index);
    });
    box.addEventListener('paste', (event) => {
      event.preventDefault();
      this.#enterDigits(event.clipboardData ? event.clipboardData.getData('text') : '', index);
    });
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Backspace') {
        event.preventDefault();
        this.#eraseBackward(index);
      } else if (event.key === 'Delete') {
        event.preventDefault();
        this.#digits[index] = '';
        this.#renderCode();
      } else if (event.key === 'ArrowLeft') {
        event.preventDefault();
        this.#focusBox(index - 1);
      } else if (event.key === 'ArrowRight') {
        event.preventDefault();
        this.#focusBox(index + 1);
      }
    });
    // Some phone keyboards send no Backspace keydown (key "Unidentified"); an empty box then only sees this.
    box.addEventListener('beforeinput', (event) => {
      if (event.inputType === 'deleteContentBackward' && !box.value) {
        event.preventDefault();
        this.#eraseBackward(index);
      }
    });
  }

  #runResendCountdown() {
    const { resend } = this.el;
    const seconds = Math.ceil((this.#pending.resendAt - Date.now()) / 1000);
    resend.disabled = true;
    this.#resendWait.start(seconds,
      (left) => { resend.textContent = this.i18n.t('code.resend_in', { time: formatWait(left) }); },
      () => {
        resend.textContent = this.i18n.t('code.resend');
        resend.disabled = false;
      });
  }

  #reject(text, detail, { disable = false } = {}) {
    const { fieldset } = this.el;
    this.#clearCode();
    fieldset.classList.add('invalid');
    fieldset.classList.remove('shake');
    void fieldset.offsetWidth;  // restart the animation
    fieldset.classList.add('shake');
    setMessage(this.el.message, 'error', text, detail);
    this.#setEnabled(!disable);
    if (disable) {
      if (!this.el.resend.disabled) this.el.resend.focus();
    } else {
      this.#focusBox(0);
    }
  }

  async #verify() {
    if (this.#verifying || !this.#pending) return;
    const { i18n } = this;
    const message = this.el.message;
    const code = this.#digits.join('');
    if (code.length !== CODE_LENGTH) {
      setMessage(message, 'error', i18n.t('code.incomplete'));
      this.#focusBox(this.#digits.findIndex((digit) => !digit));
      return;
    }
    this.#verifying = true;
    this.#setEnabled(false);
    setBusy(this.el.submit, true);
    const result = await callApi(API.verifyCode, { body: { phone_number: this.#pending.phone, code } });
    this.#verifying = false;
    setBusy(this.el.submit, false);
    const error = result.data.error;
    if (result.ok) {
      if (!this.hooks.onVerified(result.data)) {
        this.#setEnabled(true);
        setMessage(message, 'error', i18n.t('error.generic'));
      }
    } else if (result.status === 401 && error === 'invalid_code') {
      const left = Number(result.data.attempts_left);
      if (Number.isInteger(left) && left > 0) {
        this.#reject(`${i18n.t('code.wrong')} ${i18n.tCount('code.attempts_left', left)}`);
      } else {
        this.#reject(i18n.t('code.no_attempts'), '', { disable: true });
      }
    } else if (result.status === 401 && error === 'code_expired') {
      this.#reject(i18n.t('code.expired'), '', { disable: true });
    } else if (result.status === 429) {
      this.#reject('', '', { disable: true });
      this.#lockWait.start(result.retryAfter ?? 1,
        (left) => setMessage(message, 'error', i18n.t('code.too_many', { time: formatWait(left) }),
          result.data.detail),
        () => {
          this.#setEnabled(true);
          setMessage(message, 'info', i18n.t('code.try_again'));
          this.#focusBox(0);
        });
    } else {
      this.#setEnabled(true);
      showFailure(i18n, message, result);
      this.#focusBox(0);
    }
  }

  async #resend() {
    const { resend, message, fieldset } = this.el;
    if (!this.#pending || resend.disabled) return;
    setBusy(resend, true);
    const body = { phone_number: this.#pending.phone, locale: this.i18n.lang };
    const result = await callApi(API.resendCode, { body });
    resend.setAttribute('aria-busy', 'false');
    if (!this.#pending) return;  // signed in or left meanwhile (another tab)
    if (result.ok) {
      this.#pending.resendAt = Date.now() + Math.max(0, Number(result.data.resend_after) || 0) * 1000;
      this.#savePending();
      this.#lockWait.stop();
      this.#clearCode();
      fieldset.classList.remove('invalid');
      this.#setEnabled(true);
      setMessage(message, 'ok', this.i18n.t('code.resent'));
      this.#runResendCountdown();
      this.#focusBox(0);
    } else if (result.status === 429 && result.retryAfter) {
      this.#pending.resendAt = Date.now() + result.retryAfter * 1000;
      this.#savePending();
      this.#runResendCountdown();
      setMessage(message, 'error', this.i18n.t('error.rate_limited', { time: formatWait(result.retryAfter) }),
        result.data.detail);
    } else {
      resend.disabled = false;
      showFailure(this.i18n, message, result);
    }
  }
}
