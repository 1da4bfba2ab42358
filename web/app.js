// The login page's behaviour: phone → code → signed in, through the public API only (docs/api.md). Plain DOM, no
// framework and no build step; nothing inline and no innerHTML, so the server's CSP (with Trusted Types) holds.
'use strict';

(() => {
  const API = {
    sendCode: '/api/v1/sms-auth/send-code',
    resendCode: '/api/v1/sms-auth/resend-code',
    verifyCode: '/api/v1/sms-auth/verify-code',
    refresh: '/api/v1/auth/refresh',
    logout: '/api/v1/auth/logout',
    me: '/api/v1/auth/me',
  };
  // localStorage: the session outlives a reload and is shared by the tabs of this origin.
  const SESSION_KEY = 'sms-auth.session';
  // sessionStorage: the number waiting for its code. A phone browser often discards the tab while the user reads the
  // SMS in another app; on return the page reloads and must still be at the code step.
  const PENDING_KEY = 'sms-auth.pending';
  // localStorage: the language the person picked on the switch, for this and later visits.
  const LANGUAGE_KEY = 'sms-auth.lang';
  const LANGUAGES = ['ru', 'kk', 'en'];
  const CODE_LENGTH = 6;
  const NATIONAL_DIGITS = 10;
  // Refresh a little before the access token expires: a fifth of its life, at least 1 s and at most a minute early.
  const REFRESH_LEAD_MIN_MS = 1000;
  const REFRESH_LEAD_MAX_MS = 60000;
  // After a failure that may pass (offline, 5xx), try again with these waits.
  const REFRESH_RETRY_MS = [5000, 15000, 30000, 60000];
  const STORAGE_SETTLE_MS = 300;  // how long a refreshing tab keeps the lock after saving the new tokens
  const REQUEST_TIMEOUT_MS = 15000;
  const LOGOUT_TIMEOUT_MS = 5000;

  const MESSAGES = {
    ru: {
      'page.title': 'Вход по номеру телефона',
      'phone.title': 'Вход',
      'phone.lead': 'Введите номер телефона — мы пришлём код в SMS.',
      'phone.label': 'Номер телефона',
      'phone.submit': 'Получить код',
      'phone.incomplete': 'Введите 10 цифр номера после +7.',
      'phone.invalid': 'Этот номер не подходит: нужен мобильный номер.',
      'code.title': 'Код из SMS',
      'code.sent_to': 'Код отправлен на номер',
      'code.legend': 'Код из 6 цифр',
      'code.digit': 'Цифра {n} из 6',
      'code.submit': 'Войти',
      'code.incomplete': 'Введите все 6 цифр кода.',
      'code.wrong': 'Неверный код.',
      'code.attempts_left': {
        one: 'Осталась {n} попытка.',
        few: 'Осталось {n} попытки.',
        many: 'Осталось {n} попыток.',
        other: 'Осталось {n} попытки.',
      },
      'code.no_attempts': 'Неверный код, попыток для него больше нет. Запросите новый код.',
      'code.expired': 'Срок действия кода истёк. Запросите новый код.',
      'code.too_many': 'Слишком много неверных попыток. Повторите через {time}.',
      'code.try_again': 'Можно попробовать снова.',
      'code.resend': 'Отправить код ещё раз',
      'code.resend_in': 'Отправить код ещё раз через {time}',
      'code.resent': 'Новое SMS отправлено.',
      'code.change_phone': 'Изменить номер',
      'signed_in.title': 'Вы вошли',
      'signed_in.phone': 'Номер',
      'signed_in.expires': 'Сессия действует до',
      'signed_in.renews': 'продлевается автоматически',
      'signed_in.logout': 'Выйти',
      'signed_in.refresh_retry': 'Не удалось продлить сессию. Повторим через {time}.',
      'session.ended': 'Сессия закончилась. Войдите снова.',
      'session.logged_out': 'Вы вышли.',
      'error.rate_limited': 'Слишком много запросов. Повторите через {time}.',
      'error.network': 'Нет связи с сервером. Проверьте интернет и попробуйте ещё раз.',
      'error.unavailable': 'Сервис временно недоступен. Повторите через {time}.',
      'error.sms_rejected': 'Не удалось отправить SMS на этот номер.',
      'error.blocked': 'Этот аккаунт заблокирован.',
      'error.generic': 'Что-то пошло не так. Попробуйте ещё раз.',
      'banner.test_mode': 'Тестовый режим: SMS не отправляются, код записан в журнал сервера.',
      'banner.fixed_code': 'Тестовый режим: SMS не отправляются. Код для любого номера:',
    },
    kk: {
      'page.title': 'Телефон нөмірі арқылы кіру',
      'phone.title': 'Кіру',
      'phone.lead': 'Телефон нөміріңізді енгізіңіз — кодты SMS арқылы жібереміз.',
      'phone.label': 'Телефон нөмірі',
      'phone.submit': 'Код алу',
      'phone.incomplete': '+7-ден кейін нөмірдің 10 цифрын енгізіңіз.',
      'phone.invalid': 'Бұл нөмір жарамайды: ұялы телефон нөмірі қажет.',
      'code.title': 'SMS-тегі код',
      'code.sent_to': 'Код мына нөмірге жіберілді:',
      'code.legend': '6 цифрлы код',
      'code.digit': '{n}-цифр, барлығы 6',
      'code.submit': 'Кіру',
      'code.incomplete': 'Кодтың барлық 6 цифрын енгізіңіз.',
      'code.wrong': 'Код қате.',
      // Kazakh nouns do not change after a numeral: one form for every count.
      'code.attempts_left': { one: '{n} әрекет қалды.', other: '{n} әрекет қалды.' },
      'code.no_attempts': 'Код қате, бұл код үшін әрекет қалмады. Жаңа код сұраңыз.',
      'code.expired': 'Кодтың мерзімі өтті. Жаңа код сұраңыз.',
      'code.too_many': 'Қате әрекеттер тым көп. {time} кейін қайталаңыз.',
      'code.try_again': 'Қайта көруге болады.',
      'code.resend': 'Кодты қайта жіберу',
      'code.resend_in': 'Кодты {time} кейін қайта жіберуге болады',
      'code.resent': 'Жаңа SMS жіберілді.',
      'code.change_phone': 'Нөмірді өзгерту',
      'signed_in.title': 'Сіз кірдіңіз',
      'signed_in.phone': 'Нөмір',
      'signed_in.expires': 'Сессия мерзімі',
      'signed_in.renews': 'өздігінен ұзартылады',
      'signed_in.logout': 'Шығу',
      'signed_in.refresh_retry': 'Сессияны ұзарту мүмкін болмады. {time} кейін қайталаймыз.',
      'session.ended': 'Сессия аяқталды. Қайта кіріңіз.',
      'session.logged_out': 'Сіз шықтыңыз.',
      'error.rate_limited': 'Сұраулар тым көп. {time} кейін қайталаңыз.',
      'error.network': 'Сервермен байланыс жоқ. Интернетті тексеріп, қайта көріңіз.',
      'error.unavailable': 'Қызмет уақытша қолжетімсіз. {time} кейін қайталаңыз.',
      'error.sms_rejected': 'Бұл нөмірге SMS жіберу мүмкін болмады.',
      'error.blocked': 'Бұл аккаунт бұғатталған.',
      'error.generic': 'Бірдеңе дұрыс болмады. Қайта көріңіз.',
      'banner.test_mode': 'Тест режимі: SMS жіберілмейді, код сервер журналына жазылады.',
      'banner.fixed_code': 'Тест режимі: SMS жіберілмейді. Кез келген нөмірге арналған код:',
    },
    en: {
      'page.title': 'Sign in with your phone number',
      'phone.title': 'Sign in',
      'phone.lead': 'Enter your phone number and we will text you a code.',
      'phone.label': 'Phone number',
      'phone.submit': 'Get a code',
      'phone.incomplete': 'Enter the 10 digits of the number after +7.',
      'phone.invalid': 'This number cannot be used: it must be a mobile number.',
      'code.title': 'Code from the SMS',
      'code.sent_to': 'We sent the code to',
      'code.legend': '6-digit code',
      'code.digit': 'Digit {n} of 6',
      'code.submit': 'Sign in',
      'code.incomplete': 'Enter all 6 digits of the code.',
      'code.wrong': 'Wrong code.',
      'code.attempts_left': { one: '{n} attempt left.', other: '{n} attempts left.' },
      'code.no_attempts': 'Wrong code, and no attempts are left for it. Ask for a new code.',
      'code.expired': 'The code has expired. Ask for a new code.',
      'code.too_many': 'Too many wrong codes. Try again in {time}.',
      'code.try_again': 'You can try again now.',
      'code.resend': 'Send the code again',
      'code.resend_in': 'Send the code again in {time}',
      'code.resent': 'A new SMS is on its way.',
      'code.change_phone': 'Change the number',
      'signed_in.title': 'You are signed in',
      'signed_in.phone': 'Number',
      'signed_in.expires': 'Session valid until',
      'signed_in.renews': 'renews itself',
      'signed_in.logout': 'Sign out',
      'signed_in.refresh_retry': 'Could not renew the session. Trying again in {time}.',
      'session.ended': 'Your session has ended. Please sign in again.',
      'session.logged_out': 'You are signed out.',
      'error.rate_limited': 'Too many requests. Try again in {time}.',
      'error.network': 'Cannot reach the server. Check your connection and try again.',
      'error.unavailable': 'The service is unavailable for now. Try again in {time}.',
      'error.sms_rejected': 'An SMS cannot be sent to this number.',
      'error.blocked': 'This account is blocked.',
      'error.generic': 'Something went wrong. Please try again.',
      'banner.test_mode': 'Test mode: no SMS is sent; the code is written to the server log.',
      'banner.fixed_code': 'Test mode: no SMS is sent. The code for every number is',
    },
  };

  // The language picked on the switch; else the browser's first language the page has; else Russian (the original
  // app's users read Russian). The SMS is written in the same language (the `locale` of send and resend).
  function initialLanguage() {
    try {
      const saved = localStorage.getItem(LANGUAGE_KEY);
      if (LANGUAGES.includes(saved)) return saved;
    } catch {
      // storage refused (privacy mode): the browser's languages decide
    }
    const preferred = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    for (const tag of preferred) {
      const primary = String(tag || '').toLowerCase().split('-')[0];
      if (LANGUAGES.includes(primary)) return primary;
    }
    return 'ru';
  }

  let lang = initialLanguage();
  let pluralRules = new Intl.PluralRules(lang);

  function t(key, params = {}) {
    const text = MESSAGES[lang][key] ?? MESSAGES.ru[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  }

  function tCount(key, count) {
    const forms = MESSAGES[lang][key];
    return (forms[pluralRules.select(count)] ?? forms.other).replace('{n}', String(count));
  }

  // "0:59", "12:00", "1:00:00": how long until something may be tried again.
  function formatWait(seconds) {
    const s = Math.max(0, Math.ceil(seconds));
    const hours = Math.floor(s / 3600);
    const minutes = Math.floor((s % 3600) / 60);
    const rest = String(s % 60).padStart(2, '0');
    return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
  }

  function formatTime(epochMs) {
    const sameDay = new Date(epochMs).toDateString() === new Date().toDateString();
    const options = sameDay ? { hour: '2-digit', minute: '2-digit' } : { dateStyle: 'medium', timeStyle: 'short' };
    return new Intl.DateTimeFormat(lang, options).format(epochMs);
  }

  // ---- elements ----------------------------------------------------------------------------------------------------

  const byId = (id) => document.getElementById(id);
  const steps = { phone: byId('step-phone'), code: byId('step-code'), signedIn: byId('step-signed-in') };
  const phoneForm = byId('phone-form');
  const phoneInput = byId('phone-input');
  const phoneSubmit = byId('phone-submit');
  const phoneMessage = byId('phone-message');
  const codeForm = byId('code-form');
  const codeFieldset = byId('code-boxes');
  const codeBoxes = Array.from(codeFieldset.querySelectorAll('.code-box'));
  const codeSubmit = byId('code-submit');
  const codeMessage = byId('code-message');
  const codeSentTo = byId('code-sent-to');
  const resendButton = byId('resend-button');
  const changePhoneButton = byId('change-phone-button');
  const sessionPhone = byId('session-phone');
  const sessionExpiry = byId('session-expiry');
  const sessionMessage = byId('session-message');
  const logoutButton = byId('logout-button');

  function setMessage(element, kind, text, detail) {
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

  function setBusy(button, busy) {
    button.disabled = busy;
    button.setAttribute('aria-busy', busy ? 'true' : 'false');
  }

  function showStep(name) {
    if (name !== 'code') stopListeningForSmsCode();
    for (const [key, section] of Object.entries(steps)) section.hidden = key !== name;
    document.body.dataset.step = name;  // lets tests and styles know the step without reading text
  }

  // ---- countdowns --------------------------------------------------------------------------------------------------

  // Each ticks against a wall-clock deadline, so a throttled background tab shows the right time when it wakes.
  const countdowns = new Map();

  function startCountdown(name, seconds, onTick, onDone) {
    stopCountdown(name);
    const deadline = Date.now() + Math.max(0, seconds) * 1000;
    const tick = () => {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) {
        stopCountdown(name);
        onDone();
      } else {
        onTick(left);
      }
    };
    countdowns.set(name, setInterval(tick, 250));
    tick();
  }

  function stopCountdown(name) {
    clearInterval(countdowns.get(name));
    countdowns.delete(name);
  }

  // ---- API ---------------------------------------------------------------------------------------------------------

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
  async function callApi(path, { method = 'POST', body, token, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
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

  // Shows what went wrong; a 429 or 503 also disables `button` for the wait the server asked for, counting down.
  function showFailure(element, result, button, countdownName) {
    const detail = typeof result.data.detail === 'string' ? result.data.detail : '';
    if (result.status === 0) {
      setMessage(element, 'error', t('error.network'));
    } else if ((result.status === 429 || result.status === 503) && button) {
      const key = result.status === 429 ? 'error.rate_limited' : 'error.unavailable';
      button.disabled = true;
      startCountdown(countdownName, result.retryAfter ?? 1,
        (left) => setMessage(element, 'error', t(key, { time: formatWait(left) }), detail),
        () => {
          button.disabled = false;
          setMessage(element, 'info', t('code.try_again'));
        });
    } else if (result.status === 422) {
      setMessage(element, 'error', t('phone.invalid'), detail);
    } else if (result.status === 502) {
      setMessage(element, 'error', t('error.sms_rejected'), detail);
    } else if (result.status === 403) {
      setMessage(element, 'error', t('error.blocked'), detail);
    } else {
      setMessage(element, 'error', t('error.generic'), detail);
    }
  }

  // ---- phone step --------------------------------------------------------------------------------------------------

  // The 10 digits after +7 from however the number was typed or pasted: "+7 747 236 7503", "8 (747) 236-75-03",
  // "77472367503", "747 236 75 03". No Kazakh or Russian mobile number starts with 8, so a leading 8 is the trunk
  // prefix; eleven digits starting with 7 carry the country code.
  function nationalDigits(raw) {
    const text = String(raw).trim();
    let digits = text.replace(/\D/g, '');
    if (text.startsWith('+')) {
      if (digits.startsWith('7')) digits = digits.slice(1);
    } else if (digits.startsWith('8')) {
      digits = digits.slice(1);
    } else if (digits.length > NATIONAL_DIGITS && digits.startsWith('7')) {
      digits = digits.slice(1);
    }
    return digits.slice(0, NATIONAL_DIGITS);
  }

  // "(747) 236-75-03", growing as digits come; a separator appears only once a digit follows it, so Backspace
  // always removes a digit.
  function formatNational(digits) {
    if (!digits) return '';
    let out = `(${digits.slice(0, 3)}`;
    if (digits.length > 3) out += `) ${digits.slice(3, 6)}`;
    if (digits.length > 6) out += `-${digits.slice(6, 8)}`;
    if (digits.length > 8) out += `-${digits.slice(8, 10)}`;
    return out;
  }

  function formatPhone(e164) {
    const match = /^\+7(\d{10})$/.exec(e164 || '');
    return match ? `+7 ${formatNational(match[1])}` : e164 || '';
  }

  const countDigits = (text) => (text.match(/\d/g) || []).length;

  // The caret position just after the n-th digit of `text` (0: before the first).
  function caretAfterDigit(text, n) {
    if (n <= 0) return text.search(/\d/) === -1 ? text.length : text.search(/\d/);
    let seen = 0;
    for (let i = 0; i < text.length; i += 1) {
      if (/\d/.test(text[i]) && (seen += 1) === n) return i + 1;
    }
    return text.length;
  }

  let phoneValueBefore = '';

  function reformatPhone(event) {
    const raw = phoneInput.value;
    if (raw.trim() === '+') {  // the start of "+7 …": keep it until the digits come
      phoneValueBefore = raw;
      return;
    }
    const caret = phoneInput.selectionStart ?? raw.length;
    let digits = nationalDigits(raw);
    let digitsBeforeCaret = countDigits(raw.slice(0, caret)) - (countDigits(raw) - digits.length);
    // Deleting a separator deletes nothing: take the digit beside it instead, as the user meant.
    if (event && countDigits(raw) === countDigits(phoneValueBefore) && raw.length < phoneValueBefore.length) {
      if (event.inputType === 'deleteContentBackward' && digitsBeforeCaret > 0) {
        digits = digits.slice(0, digitsBeforeCaret - 1) + digits.slice(digitsBeforeCaret);
        digitsBeforeCaret -= 1;
      } else if (event.inputType === 'deleteContentForward') {
        digits = digits.slice(0, digitsBeforeCaret) + digits.slice(digitsBeforeCaret + 1);
      }
    }
    const formatted = formatNational(digits);
    phoneInput.value = formatted;
    phoneValueBefore = formatted;
    if (document.activeElement === phoneInput) {
      const position = caretAfterDigit(formatted, Math.max(0, Math.min(digitsBeforeCaret, digits.length)));
      phoneInput.setSelectionRange(position, position);
    }
  }

  phoneInput.addEventListener('input', (event) => {
    reformatPhone(event);
    if (phoneMessage.classList.contains('error') && !countdowns.has('phone')) setMessage(phoneMessage, '', '');
  });

  phoneForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (phoneSubmit.disabled) return;
    const digits = nationalDigits(phoneInput.value);
    if (digits.length !== NATIONAL_DIGITS) {
      setMessage(phoneMessage, 'error', t('phone.incomplete'));
      phoneInput.focus();
      return;
    }
    const phone = `+7${digits}`;
    setBusy(phoneSubmit, true);
    setMessage(phoneMessage, '', '');
    const result = await callApi(API.sendCode, { body: { phone_number: phone, locale: lang } });
    setBusy(phoneSubmit, false);
    if (result.ok) {
      startCodeStep(phone, result.data.resend_after);
      return;
    }
    showFailure(phoneMessage, result, phoneSubmit, 'phone');
    phoneInput.focus();
  });

  function enterPhoneStep({ message, kind = 'info', digits = '' } = {}) {
    stopCountdown('resend');
    stopCountdown('code');
    sessionStorage.removeItem(PENDING_KEY);
    phoneInput.value = formatNational(digits);
    phoneValueBefore = phoneInput.value;
    if (!countdowns.has('phone')) {
      phoneSubmit.disabled = false;
      setMessage(phoneMessage, message ? kind : '', message || '');
    }
    showStep('phone');
    phoneInput.focus();
  }

  // ---- code step ---------------------------------------------------------------------------------------------------

  let pending = null;  // {phone, resendAt}: the number whose code is awaited
  const codeDigits = Array(CODE_LENGTH).fill('');
  let verifying = false;

  function renderCode() {
    codeBoxes.forEach((box, i) => {
      if (box.value !== codeDigits[i]) box.value = codeDigits[i];
    });
  }

  function clearCode() {
    codeDigits.fill('');
    renderCode();
  }

  function focusBox(index) {
    const box = codeBoxes[Math.max(0, Math.min(index, CODE_LENGTH - 1))];
    box.focus();
    box.select();
  }

  function setCodeEnabled(enabled) {
    codeFieldset.disabled = !enabled;
    codeSubmit.disabled = !enabled;
  }

  // Digits typed, pasted or filled in by the browser from the SMS: a whole code fills every box, a part fills from
  // this box on; anything that is not a digit is refused.
  function enterDigits(text, index) {
    const digits = String(text).replace(/\D/g, '').slice(0, CODE_LENGTH);
    if (!digits) {
      renderCode();
      return;
    }
    let position = digits.length === CODE_LENGTH ? 0 : index;
    for (const digit of digits) {
      if (position >= CODE_LENGTH) break;
      codeDigits[position] = digit;
      position += 1;
    }
    renderCode();
    codeFieldset.classList.remove('invalid');
    focusBox(position);
    if (codeDigits.every(Boolean)) verifyCode();
  }

  function eraseBackward(index) {
    if (codeDigits[index]) {
      codeDigits[index] = '';
    } else if (index > 0) {
      codeDigits[index - 1] = '';
      focusBox(index - 1);
    }
    renderCode();
  }

  codeBoxes.forEach((box, index) => {
    box.addEventListener('focus', () => box.select());
    box.addEventListener('input', (event) => {
      if (event.inputType && event.inputType.startsWith('delete')) {
        codeDigits[index] = '';
        renderCode();
        return;
      }
      // A typed key carries its own text; autofill and other insertions leave only the box's value to read.
      const typed = event.inputType === 'insertText' && typeof event.data === 'string' ? event.data : box.value;
      enterDigits(typed, index);
    });
    box.addEventListener('paste', (event) => {
      event.preventDefault();
      enterDigits(event.clipboardData ? event.clipboardData.getData('text') : '', index);
    });
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Backspace') {
        event.preventDefault();
        eraseBackward(index);
      } else if (event.key === 'Delete') {
        event.preventDefault();
        codeDigits[index] = '';
        renderCode();
      } else if (event.key === 'ArrowLeft') {
        event.preventDefault();
        focusBox(index - 1);
      } else if (event.key === 'ArrowRight') {
        event.preventDefault();
        focusBox(index + 1);
      }
    });
    // Some phone keyboards send no Backspace keydown (key "Unidentified"); an empty box then only sees this.
    box.addEventListener('beforeinput', (event) => {
      if (event.inputType === 'deleteContentBackward' && !box.value) {
        event.preventDefault();
        eraseBackward(index);
      }
    });
  });

  function savePending() {
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  }

  function startCodeStep(phone, resendAfterSeconds) {
    pending = { phone, resendAt: Date.now() + Math.max(0, Number(resendAfterSeconds) || 0) * 1000 };
    savePending();
    enterCodeStep();
  }

  function renderCodeSentTo() {
    codeSentTo.replaceChildren(`${t('code.sent_to')} `);
    const strong = document.createElement('strong');
    strong.textContent = formatPhone(pending.phone);
    codeSentTo.append(strong, '.');
  }

  // WebOTP (Chrome on Android): the browser offers the code of an SMS whose last line is "@<this host> #<code>"
  // (SMS_WEBOTP_DOMAIN on the server). One request at a time, aborted when the code step is left.
  let smsCodeRequest = null;

  function listenForSmsCode() {
    stopListeningForSmsCode();
    if (!('OTPCredential' in window) || !navigator.credentials || typeof AbortController !== 'function') return;
    const controller = new AbortController();
    smsCodeRequest = controller;
    navigator.credentials.get({ otp: { transport: ['sms'] }, signal: controller.signal }).then((credential) => {
      if (smsCodeRequest !== controller) return;
      smsCodeRequest = null;
      if (credential && typeof credential.code === 'string' && document.body.dataset.step === 'code' && !verifying) {
        enterDigits(credential.code, 0);
      }
    }).catch(() => {
      // aborted, dismissed by the person, or no SMS came: the code is typed instead
    });
  }

  function stopListeningForSmsCode() {
    if (!smsCodeRequest) return;
    smsCodeRequest.abort();
    smsCodeRequest = null;
  }

  function enterCodeStep() {
    renderCodeSentTo();
    clearCode();
    codeFieldset.classList.remove('invalid');
    setMessage(codeMessage, '', '');
    setCodeEnabled(true);
    showStep('code');
    runResendCountdown();
    focusBox(0);
    listenForSmsCode();
  }

  function runResendCountdown() {
    const seconds = Math.ceil((pending.resendAt - Date.now()) / 1000);
    resendButton.disabled = true;
    startCountdown('resend', seconds,
      (left) => { resendButton.textContent = t('code.resend_in', { time: formatWait(left) }); },
      () => {
        resendButton.textContent = t('code.resend');
        resendButton.disabled = false;
      });
  }

  function rejectCode(text, detail, { disable = false } = {}) {
    clearCode();
    codeFieldset.classList.add('invalid');
    codeFieldset.classList.remove('shake');
    void codeFieldset.offsetWidth;  // restart the animation
    codeFieldset.classList.add('shake');
    setMessage(codeMessage, 'error', text, detail);
    setCodeEnabled(!disable);
    if (disable) {
      if (!resendButton.disabled) resendButton.focus();
    } else {
      focusBox(0);
    }
  }

  async function verifyCode() {
    if (verifying || !pending) return;
    const code = codeDigits.join('');
    if (code.length !== CODE_LENGTH) {
      setMessage(codeMessage, 'error', t('code.incomplete'));
      focusBox(codeDigits.findIndex((digit) => !digit));
      return;
    }
    verifying = true;
    setCodeEnabled(false);
    setBusy(codeSubmit, true);
    const result = await callApi(API.verifyCode, { body: { phone_number: pending.phone, code } });
    verifying = false;
    setBusy(codeSubmit, false);
    const error = result.data.error;
    if (result.ok) {
      if (!signIn(result.data)) {
        setCodeEnabled(true);
        setMessage(codeMessage, 'error', t('error.generic'));
      }
    } else if (result.status === 401 && error === 'invalid_code') {
      const left = Number(result.data.attempts_left);
      if (Number.isInteger(left) && left > 0) {
        rejectCode(`${t('code.wrong')} ${tCount('code.attempts_left', left)}`);
      } else {
        rejectCode(t('code.no_attempts'), '', { disable: true });
      }
    } else if (result.status === 401 && error === 'code_expired') {
      rejectCode(t('code.expired'), '', { disable: true });
    } else if (result.status === 429) {
      rejectCode('', '', { disable: true });
      startCountdown('code', result.retryAfter ?? 1,
        (left) => setMessage(codeMessage, 'error', t('code.too_many', { time: formatWait(left) }),
          result.data.detail),
        () => {
          setCodeEnabled(true);
          setMessage(codeMessage, 'info', t('code.try_again'));
          focusBox(0);
        });
    } else {
      setCodeEnabled(true);
      showFailure(codeMessage, result);
      focusBox(0);
    }
  }

  codeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    verifyCode();
  });

  resendButton.addEventListener('click', async () => {
    if (!pending || resendButton.disabled) return;
    setBusy(resendButton, true);
    const result = await callApi(API.resendCode, { body: { phone_number: pending.phone, locale: lang } });
    resendButton.setAttribute('aria-busy', 'false');
    if (result.ok) {
      pending.resendAt = Date.now() + Math.max(0, Number(result.data.resend_after) || 0) * 1000;
      savePending();
      stopCountdown('code');
      clearCode();
      codeFieldset.classList.remove('invalid');
      setCodeEnabled(true);
      setMessage(codeMessage, 'ok', t('code.resent'));
      runResendCountdown();
      focusBox(0);
    } else if (result.status === 429 && result.retryAfter) {
      pending.resendAt = Date.now() + result.retryAfter * 1000;
      savePending();
      runResendCountdown();
      setMessage(codeMessage, 'error', t('error.rate_limited', { time: formatWait(result.retryAfter) }),
        result.data.detail);
    } else {
      resendButton.disabled = false;
      showFailure(codeMessage, result);
    }
  });

  changePhoneButton.addEventListener('click', () => {
    const digits = pending ? pending.phone.replace(/^\+7/, '') : '';
    pending = null;
    enterPhoneStep({ digits });
  });

  // ---- session -----------------------------------------------------------------------------------------------------

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

  let session = null;  // the session this tab shows
  let refreshTimer = 0;
  let refreshFailures = 0;
  let refreshing = null;
  // Bumped when a session ends, so that an answer arriving afterwards (a refresh in flight) cannot bring it back.
  let sessionEpoch = 0;

  function refreshLead(current) {
    const lifetime = current.expiresAt - current.receivedAt;
    const lead = Math.min(REFRESH_LEAD_MAX_MS, Math.max(REFRESH_LEAD_MIN_MS, lifetime / 5));
    return Math.min(lead, lifetime / 2);  // a very short-lived token must not be refreshed in a loop
  }

  const refreshDue = (current) => Date.now() >= current.expiresAt - refreshLead(current);

  function scheduleRefresh(delayMs) {
    clearTimeout(refreshTimer);
    const delay = delayMs ?? session.expiresAt - refreshLead(session) - Date.now();
    refreshTimer = setTimeout(() => refreshSession(), Math.min(Math.max(0, delay), 2 ** 31 - 1));
  }

  function showSignedIn(current) {
    session = current;
    pending = null;
    sessionStorage.removeItem(PENDING_KEY);
    stopCountdown('resend');
    stopCountdown('code');
    sessionPhone.textContent = formatPhone(current.phone);
    sessionExpiry.textContent = formatTime(current.expiresAt);
    const wasShown = document.body.dataset.step === 'signedIn';
    showStep('signedIn');
    logoutButton.disabled = false;
    if (!wasShown) {
      setMessage(sessionMessage, '', '');
      logoutButton.focus();
    }
    scheduleRefresh();
  }

  function signIn(data) {
    const created = sessionFromTokens(data, Date.now());
    if (!created) return false;
    saveSession(created);
    refreshFailures = 0;
    showSignedIn(created);
    return true;
  }

  // Leaves the signed-in step for the phone step; the stored session is gone (or never was).
  function endSession(messageKey) {
    clearTimeout(refreshTimer);
    stopCountdown('refresh');
    localStorage.removeItem(SESSION_KEY);
    session = null;
    sessionEpoch += 1;
    refreshFailures = 0;
    enterPhoneStep({ message: t(messageKey), kind: messageKey === 'session.ended' ? 'error' : 'info' });
  }

  // Tabs share one refresh token, which dies when used: a Web Lock lets one tab refresh while the others wait and
  // then take the result (the server's reuse grace covers browsers without Web Locks).
  function withRefreshLock(task) {
    if (navigator.locks && typeof navigator.locks.request === 'function') {
      return navigator.locks.request('sms-auth-refresh', task);
    }
    return task();
  }

  // `refusedToken`: the server has just refused this access token although it is not due, so renew it anyway.
  function refreshSession(refusedToken) {
    if (!refreshing) {
      refreshing = withRefreshLock(() => refreshUnderLock(refusedToken)).finally(() => {
        refreshing = null;
      });
    }
    return refreshing;
  }

  async function refreshUnderLock(refusedToken) {
    const stored = loadSession();
    if (!stored) {
      if (session) endSession('session.ended');
      return false;
    }
    if (!refreshDue(stored) && stored.accessToken !== refusedToken) {
      showSignedIn(stored);  // another tab refreshed while this one waited for the lock: take its tokens
      return true;
    }
    const epoch = sessionEpoch;
    const result = await callApi(API.refresh, { body: { refresh_token: stored.refreshToken } });
    if (epoch !== sessionEpoch) return false;  // signed out while the request was out
    const next = result.ok ? sessionFromTokens(result.data, Date.now()) : null;
    if (next) {
      saveSession(next);
      refreshFailures = 0;
      stopCountdown('refresh');
      setMessage(sessionMessage, '', '');
      showSignedIn(next);
      // Other tabs see localStorage through their own process, a moment later: keep the lock until they can, or the
      // next tab would read the old refresh token and present it again (a second presentation is a sibling, a third
      // ends the session).
      if (navigator.locks) await new Promise((resolve) => setTimeout(resolve, STORAGE_SETTLE_MS));
      return true;
    }
    if (result.status === 0 || result.status === 429 || result.status >= 500) {
      // Offline or the server is struggling: the refresh token is still good, so keep the session and retry.
      const wait = result.retryAfter ?? REFRESH_RETRY_MS[Math.min(refreshFailures, REFRESH_RETRY_MS.length - 1)] / 1000;
      refreshFailures += 1;
      scheduleRefresh(wait * 1000);
      startCountdown('refresh', wait,
        (left) => setMessage(sessionMessage, 'error', t('signed_in.refresh_retry', { time: formatWait(left) })),
        () => {});
      return false;
    }
    // Refused (revoked, expired, reused: 400/401), or a server without refresh (404): this session is over.
    endSession('session.ended');
    return false;
  }

  // After a reload: is the stored access token still accepted? A server restarted with a new signing key (test mode
  // without JWT_SECRET) refuses it while its exp is still ahead; the refresh token then gets a new one.
  async function confirmSession(current) {
    const result = await callApi(API.me, { method: 'GET', token: current.accessToken });
    if (session !== current) return;  // refreshed or signed out meanwhile
    if (result.ok) {
      if (typeof result.data.phone_number === 'string' && result.data.phone_number) {
        current.phone = result.data.phone_number;
        sessionPhone.textContent = formatPhone(current.phone);
      }
    } else if (result.status === 401) {
      refreshSession(current.accessToken);
    }
    // 404 (a server without /me) or a network failure: nothing learnt, keep the session.
  }

  // An access token that may already be dead (the device slept) is refreshed first, so that logout can end the
  // session on the server; whatever happens there, this device forgets the session.
  async function logout() {
    setBusy(logoutButton, true);
    clearTimeout(refreshTimer);
    let current = loadSession() || session;
    try {
      if (current && Date.now() >= current.expiresAt - REFRESH_LEAD_MIN_MS) {
        const renewed = await callApi(API.refresh, { body: { refresh_token: current.refreshToken },
          timeoutMs: LOGOUT_TIMEOUT_MS });
        current = (renewed.ok && sessionFromTokens(renewed.data, Date.now())) || current;
      }
      if (current) {
        await callApi(API.logout, { body: {}, token: current.accessToken, timeoutMs: LOGOUT_TIMEOUT_MS });
      }
    } finally {
      setBusy(logoutButton, false);
      endSession('session.logged_out');
    }
  }

  logoutButton.addEventListener('click', logout);

  // Another tab signed in, refreshed or signed out.
  window.addEventListener('storage', (event) => {
    if (event.key !== SESSION_KEY && event.key !== null) return;
    const stored = loadSession();
    if (!stored && session) {
      endSession('session.logged_out');
    } else if (stored && (!session || stored.accessToken !== session.accessToken)) {
      showSignedIn(stored);
    }
  });

  // Timers sleep with the device; on return, refresh at once if the token is (nearly) expired.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && session && refreshDue(session)) refreshSession();
  });

  // ---- start -------------------------------------------------------------------------------------------------------

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.title = t('page.title');
    for (const element of document.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
    codeBoxes.forEach((box, index) => box.setAttribute('aria-label', t('code.digit', { n: index + 1 })));
    for (const button of document.querySelectorAll('#language-switch [data-lang]')) {
      button.setAttribute('aria-pressed', String(button.dataset.lang === lang));
    }
  }

  // The switch changes the page at once (texts shown by an earlier answer keep their language until the next one)
  // and is remembered for later visits.
  function switchLanguage(next) {
    if (!LANGUAGES.includes(next) || next === lang) return;
    lang = next;
    pluralRules = new Intl.PluralRules(lang);
    try {
      localStorage.setItem(LANGUAGE_KEY, lang);
    } catch {
      // not remembered, still switched
    }
    applyLanguage();
    showTestBanner();
    if (pending && document.body.dataset.step === 'code') {
      renderCodeSentTo();
      if (!resendButton.disabled) resendButton.textContent = t('code.resend');
    }
  }

  for (const button of document.querySelectorAll('#language-switch [data-lang]')) {
    button.addEventListener('click', () => switchLanguage(button.dataset.lang));
  }

  function showTestBanner() {
    if (document.body.dataset.testMode !== 'true') return;
    const banner = byId('test-banner');
    const fixedCode = document.body.dataset.fixedCode;
    if (fixedCode) {
      const code = document.createElement('code');
      code.textContent = fixedCode;
      banner.replaceChildren(`${t('banner.fixed_code')} `, code, '.');
    } else {
      banner.textContent = t('banner.test_mode');
    }
    banner.hidden = false;
  }

  function loadPending() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(PENDING_KEY) || 'null');
      if (stored && typeof stored.phone === 'string' && /^\+7\d{10}$/.test(stored.phone)) {
        return { phone: stored.phone, resendAt: Number(stored.resendAt) || 0 };
      }
    } catch {
      // unreadable: start over
    }
    return null;
  }

  applyLanguage();
  showTestBanner();

  const restored = loadSession();
  if (restored) {
    showSignedIn(restored);
    if (refreshDue(restored)) {
      refreshSession();
    } else {
      confirmSession(restored);
    }
  } else if ((pending = loadPending())) {
    enterCodeStep();
  } else {
    enterPhoneStep();
  }
})();
