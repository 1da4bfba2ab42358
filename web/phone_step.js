// The phone step: the number (its length checked here, everything else by the server), then send-code.
import { API, callApi } from './api.js';
import { Countdown, setBusy, setMessage, showFailure } from './ui.js';

// Owns the form around the field and the wait a refused send asks for (429, 503), during which nothing is sent.
// `hooks`: showStep(name), onCodeSent(e164, resendAfterSeconds).
export class PhoneStep {
  #sendWait = new Countdown();

  constructor(elements, field, i18n, hooks) {
    this.el = elements;
    this.field = field;
    this.i18n = i18n;
    this.hooks = hooks;
    // After the field's own listener (it reformats first): an edit clears an error, but not a running wait.
    field.input.addEventListener('input', () => {
      if (elements.message.classList.contains('error') && !this.#sendWait.running) {
        setMessage(elements.message, '', '');
      }
    });
    elements.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#send();
    });
  }

  // `phone`: the number shown again (Change the number); `message` and `kind`: why the person is back here.
  enter({ message, kind = 'info', phone = '' } = {}) {
    this.field.show(phone);
    if (!this.#sendWait.running) {
      this.el.submit.disabled = false;
      setMessage(this.el.message, message ? kind : '', message || '');
    }
    this.hooks.showStep('phone');
    this.field.focus();
  }

  async #send() {
    const { submit, message } = this.el;
    if (submit.disabled) return;
    const read = this.field.read();
    if (!read.phone) {
      setMessage(message, 'error', read.message);
      this.field.focus();
      return;
    }
    setBusy(submit, true);
    setMessage(message, '', '');
    const result = await callApi(API.sendCode, { body: { phone_number: read.phone, locale: this.i18n.lang } });
    setBusy(submit, false);
    if (result.ok) {
      this.hooks.onCodeSent(read.phone, result.data.resend_after);
      return;
    }
    showFailure(this.i18n, message, result, submit, this.#sendWait);
    this.field.focus();
  }
}
