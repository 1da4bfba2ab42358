// The login page's entry: phone → code → signed in, through the public API only (docs/api.md). Plain DOM, no
// framework and no build step; nothing inline and no innerHTML, so the server's CSP (with Trusted Types) holds.
//
// The other modules are imported by plain relative paths ('./i18n.js' is /assets/i18n.js). The page names only this
// file by its versioned URL; the server answers an asset requested without its current `v` with `no-cache` and an
// ETag, so the imports are revalidated on every load (a 304 when unchanged) and always belong to the same release as
// the page. An import map could version them too, but it would be an inline script, which the CSP refuses.
import { CodeStep } from './code_step.js';
import { I18n, LANGUAGES, initialLanguage, rememberLanguage } from './i18n.js';
import { PhoneField, formatPhone, isAllowedPhone, readCountries } from './phone_input.js';
import { PhoneStep } from './phone_step.js';
import { Session } from './session.js';

const byId = (id) => document.getElementById(id);
const { body } = document;

// What the server rendered into the page at start-up (src/http/handlers/web_page_handlers.cpp).
const settings = {
  testMode: body.dataset.testMode === 'true',
  fixedCode: body.dataset.fixedCode || '',
  countries: readCountries(body.dataset.countries),  // empty: any country (ALLOWED_COUNTRIES=*)
  defaultRegion: body.dataset.defaultRegion || '',
};

const i18n = new I18n(initialLanguage());
const steps = { phone: byId('step-phone'), code: byId('step-code'), signedIn: byId('step-signed-in') };
const showPhone = (e164) => formatPhone(e164, settings.countries);

// showStep and the hooks below name steps built after them; they are called only once all are built.
function showStep(name) {
  if (name !== 'code') codeStep.stopListening();
  for (const [key, section] of Object.entries(steps)) section.hidden = key !== name;
  body.dataset.step = name;  // lets tests and styles know the step without reading text
}

const phoneField = new PhoneField({
  input: byId('phone-input'),
  prefix: byId('phone-prefix'),
  countryField: byId('country-field'),
  select: byId('phone-country'),
}, settings.countries, settings.defaultRegion, i18n);

const phoneStep = new PhoneStep({
  form: byId('phone-form'),
  submit: byId('phone-submit'),
  message: byId('phone-message'),
}, phoneField, i18n, {
  showStep,
  onCodeSent: (phone, resendAfter) => codeStep.start(phone, resendAfter),
});

const codeStep = new CodeStep({
  form: byId('code-form'),
  fieldset: byId('code-boxes'),
  submit: byId('code-submit'),
  message: byId('code-message'),
  sentTo: byId('code-sent-to'),
  resend: byId('resend-button'),
  changePhone: byId('change-phone-button'),
}, i18n, {
  showStep,
  formatPhone: showPhone,
  isPhone: (e164) => isAllowedPhone(e164, settings.countries),
  onVerified: (tokens) => session.signIn(tokens),
  onChangePhone: (phone) => goToPhoneStep({ phone }),
});

const session = new Session({
  phone: byId('session-phone'),
  expiry: byId('session-expiry'),
  message: byId('session-message'),
  logout: byId('logout-button'),
}, i18n, {
  showStep,
  formatPhone: showPhone,
  onShown: () => codeStep.forget(),
  onEnded: (messageKey) => goToPhoneStep({
    message: i18n.t(messageKey), kind: messageKey === 'session.ended' ? 'error' : 'info',
  }),
});

function goToPhoneStep(options) {
  codeStep.forget();
  phoneStep.enter(options);
}

function showTestBanner() {
  if (!settings.testMode) return;
  const banner = byId('test-banner');
  if (settings.fixedCode) {
    const code = document.createElement('code');
    code.textContent = settings.fixedCode;
    banner.replaceChildren(`${i18n.t('banner.fixed_code')} `, code, '.');
  } else {
    banner.textContent = i18n.t('banner.test_mode');
  }
  banner.hidden = false;
}

function applyLanguage() {
  document.documentElement.lang = i18n.lang;
  document.title = i18n.t('page.title');
  for (const element of document.querySelectorAll('[data-i18n]')) element.textContent = i18n.t(element.dataset.i18n);
  for (const button of document.querySelectorAll('#language-switch [data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === i18n.lang));
  }
  phoneField.renderCountryNames();
  codeStep.relabel();
  showTestBanner();
}

// The switch changes the page at once (texts shown by an earlier answer keep their language until the next one)
// and is remembered for later visits.
for (const button of document.querySelectorAll('#language-switch [data-lang]')) {
  button.addEventListener('click', () => {
    const next = button.dataset.lang;
    if (!LANGUAGES.includes(next) || next === i18n.lang) return;
    i18n.use(next);
    rememberLanguage(next);
    applyLanguage();
  });
}

applyLanguage();
if (!session.restore() && !codeStep.restore()) goToPhoneStep();
