// The page's texts in Russian, Kazakh and English: the choice of language, plurals, and how waits and times read.

// localStorage: the language the person picked on the switch, for this and later visits.
const LANGUAGE_KEY = 'sms-auth.lang';
export const LANGUAGES = ['ru', 'kk', 'en'];

// "10", or "10–11" for a country whose mobile numbers have more than one length (sorted, as the server sends them).
function countText(lengths) {
  const [shortest, longest] = [lengths[0], lengths[lengths.length - 1]];
  return shortest === longest ? String(shortest) : `${shortest}–${longest}`;
}

// "10 цифр", "1 цифру", "3 цифры": the noun agrees with the numeral in the accusative.
function ruDigitWord(count) {
  const form = new Intl.PluralRules('ru').select(count);
  return form === 'one' ? 'цифру' : form === 'few' ? 'цифры' : 'цифр';
}

// The ablative ending of a number as Kazakh reads it ("+7-ден", "+998-ден", "+44-тен"): it follows the sound of the
// number's last spoken word, so it is chosen by that word (units, else tens, else hundreds or thousands).
const KAZAKH_UNITS = ['', 'ден', 'ден', 'тен', 'тен', 'тен', 'дан', 'ден', 'ден', 'дан'];
const KAZAKH_TENS = ['', 'нан', 'дан', 'дан', 'тан', 'ден', 'тан', 'тен', 'нен', 'нан'];

function kazakhAblative(number) {
  if (number % 10 !== 0) return KAZAKH_UNITS[number % 10];
  if (number % 100 !== 0) return KAZAKH_TENS[(number % 100) / 10];
  return number % 1000 !== 0 ? 'ден' : 'нан';  // жүз, мың
}

// A message is a text with {name} placeholders, plural forms (tCount), or a function of its parameters when the
// grammar depends on them.
const MESSAGES = {
  ru: {
    'page.title': 'Вход по номеру телефона',
    'phone.title': 'Вход',
    'phone.lead': 'Введите номер телефона — мы пришлём код в SMS.',
    'phone.country': 'Страна',
    'phone.label': 'Номер телефона',
    'phone.submit': 'Получить код',
    'phone.incomplete': ({ lengths, code }) =>
      `Введите ${countText(lengths)} ${ruDigitWord(lengths[lengths.length - 1])} номера после +${code}.`,
    'phone.international': 'Введите номер целиком: +, код страны и номер.',
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
    'phone.country': 'Ел',
    'phone.label': 'Телефон нөмірі',
    'phone.submit': 'Код алу',
    'phone.incomplete': ({ lengths, code }) =>
      `+${code}-${kazakhAblative(Number(code))} кейін нөмірдің ${countText(lengths)} цифрын енгізіңіз.`,
    'phone.international': 'Нөмірді толық енгізіңіз: +, ел коды және нөмір.',
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
    'phone.country': 'Country',
    'phone.label': 'Phone number',
    'phone.submit': 'Get a code',
    'phone.incomplete': ({ lengths, code }) => `Enter the ${countText(lengths)} digits of the number after +${code}.`,
    'phone.international': 'Enter the whole number: +, the country code and the number.',
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
export function initialLanguage() {
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

export function rememberLanguage(lang) {
  try {
    localStorage.setItem(LANGUAGE_KEY, lang);
  } catch {
    // not remembered, still switched
  }
}

// Kazakhstan's readers of Kazakh read Russian too.
const NAME_FALLBACKS = { ru: ['en'], kk: ['ru', 'en'], en: [] };

function regionNamesIn(lang) {
  return typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames([lang], { type: 'region' }) : null;
}

// The current language and what depends on it. One instance, owned by app.js; the other modules read it when they
// write a text, so a switch takes effect at their next text.
export class I18n {
  constructor(lang) {
    this.use(lang);
  }

  use(lang) {
    this.lang = lang;
    this.pluralRules = new Intl.PluralRules(lang);
    this.regionNames = regionNamesIn(lang);
  }

  t(key, params = {}) {
    const text = MESSAGES[this.lang][key] ?? MESSAGES.ru[key] ?? key;
    if (typeof text === 'function') return text(params);
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  }

  tCount(key, count) {
    const forms = MESSAGES[this.lang][key];
    return (forms[this.pluralRules.select(count)] ?? forms.other).replace('{n}', String(count));
  }

  // "Узбекистан", "Өзбекстан", "Uzbekistan". A browser without names in the page's language (Debian's Chromium has
  // none in Kazakh: it answers the bare code, or its own language's name) gets them in the next language of
  // NAME_FALLBACKS, and the code itself as the last resort.
  regionName(region) {
    for (const names of [this.regionNames, ...NAME_FALLBACKS[this.lang].map(regionNamesIn)]) {
      try {
        const name = names && names.of(region);
        if (name && name !== region) return name;
      } catch {
        // not a region the browser knows
      }
    }
    return region;
  }

  formatTime(epochMs) {
    const sameDay = new Date(epochMs).toDateString() === new Date().toDateString();
    const options = sameDay ? { hour: '2-digit', minute: '2-digit' } : { dateStyle: 'medium', timeStyle: 'short' };
    return new Intl.DateTimeFormat(this.lang, options).format(epochMs);
  }
}

// "0:59", "12:00", "1:00:00": how long until something may be tried again.
export function formatWait(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}
