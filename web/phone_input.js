// The phone number field: the allowed countries, reading a number however it is typed or pasted, formatting it as it
// is typed without moving the caret, and the country picker when more than one country is allowed.

const MAX_E164_DIGITS = 15;
// The shortest numbers in use (a few island countries) have seven digits with their calling code.
const MIN_INTERNATIONAL_DIGITS = 7;
// The placeholder the page has always shown in Kazakhstan (a real Kcell range), not libphonenumber's "771 000 9998".
const PLACEHOLDERS = { KZ: '(747) 123-45-67' };

// The countries the server renders into the page (data-countries, from libphonenumber's metadata):
// [{region, calling_code, lengths, example, trunk_prefix}]. An empty list means any country (ALLOWED_COUNTRIES=*);
// an entry the page cannot use is left out rather than trusted.
export function readCountries(json) {
  let list;
  try {
    list = JSON.parse(json || '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const countries = [];
  for (const item of list) {
    if (!item || typeof item.region !== 'string' || !Number.isInteger(item.calling_code)) continue;
    const lengths = (Array.isArray(item.lengths) ? item.lengths : [])
      .filter((length) => Number.isInteger(length) && length > 0 && length < MAX_E164_DIGITS)
      .sort((a, b) => a - b);
    if (lengths.length === 0) continue;
    const example = typeof item.example === 'string' ? item.example : '';
    countries.push({
      region: item.region,
      callingCode: String(item.calling_code),
      lengths,
      maxLength: lengths[lengths.length - 1],
      groups: example.split(/\D+/).filter(Boolean).map((group) => group.length),  // "91 234 56 78" → [2, 3, 2, 2]
      exampleDigits: example.replace(/\D/g, ''),
      trunkPrefix: typeof item.trunk_prefix === 'string' ? item.trunk_prefix.replace(/\D/g, '') : '',
    });
  }
  return countries;
}

// The digits after the calling code from however the number was typed or pasted: "+7 747 236 7503",
// "8 (747) 236-75-03", "77472367503", "747 236 75 03", "+998 90 123 45 67", "8 90 123 45 67". A leading trunk
// prefix or calling code is taken off only when the digits are too many with it, since a national number may start
// with the same digits (Uzbek mobile numbers may start with 88, and 8 is Uzbekistan's trunk prefix). The +7
// countries are the exception the original app made: no Kazakh or Russian mobile number starts with 8, so a leading
// 8 is always the trunk prefix.
export function nationalDigits(raw, country) {
  const text = String(raw).trim();
  let digits = text.replace(/\D/g, '');
  const { callingCode, trunkPrefix, maxLength } = country;
  if (text.startsWith('+')) {
    if (digits.startsWith(callingCode)) digits = digits.slice(callingCode.length);
  } else if (callingCode === '7' && digits.startsWith('8')) {
    digits = digits.slice(1);
  } else if (trunkPrefix && digits.length > maxLength && digits.startsWith(trunkPrefix)) {
    digits = digits.slice(trunkPrefix.length);
  } else if (digits.length > maxLength && digits.startsWith(callingCode)) {
    digits = digits.slice(callingCode.length);
  }
  return digits.slice(0, maxLength);
}

// The national digits grouped as people of the country write them: "(747) 236-75-03" for +7 (as the original app
// did), otherwise as libphonenumber groups the country's example mobile number ("91 234 56 78"); digits beyond the
// example stay in its last group. A separator appears only once a digit follows it, so Backspace always removes a
// digit.
export function formatNational(digits, country) {
  if (!digits) return '';
  if (country.callingCode === '7') {
    let out = `(${digits.slice(0, 3)}`;
    if (digits.length > 3) out += `) ${digits.slice(3, 6)}`;
    if (digits.length > 6) out += `-${digits.slice(6, 8)}`;
    if (digits.length > 8) out += `-${digits.slice(8, 10)}`;
    return out;
  }
  const groups = country.groups.length > 0 ? country.groups : [digits.length];
  const parts = [];
  let start = 0;
  for (let i = 0; i < groups.length && start < digits.length; i += 1) {
    const end = i === groups.length - 1 ? digits.length : start + groups[i];
    parts.push(digits.slice(start, end));
    start = end;
  }
  return parts.join(' ');
}

// The allowed country a number written with its calling code ("+998…") belongs to: the longest calling code that
// begins the digits; among countries sharing it (KZ and RU share +7) the current one, else the first.
function countryByCallingCode(digits, countries, current) {
  let best = null;
  for (const country of countries) {
    if (!digits.startsWith(country.callingCode)) continue;
    const longer = !best || country.callingCode.length > best.callingCode.length;
    if (longer || (country === current && country.callingCode === best.callingCode)) best = country;
  }
  return best;
}

// The allowed country of an E.164 number: its calling code, and a length that country's mobile numbers have.
export function countryOfPhone(e164, countries, current = null) {
  const match = /^\+(\d+)$/.exec(e164 || '');
  if (!match) return null;
  const candidates = countries.filter((country) => match[1].startsWith(country.callingCode)
    && country.lengths.includes(match[1].length - country.callingCode.length));
  return candidates.find((country) => country === current) ?? candidates[0] ?? null;
}

// Whether a stored number (the one awaiting its code) is one this page could have sent.
export function isAllowedPhone(e164, countries) {
  if (countries.length === 0) {
    return new RegExp(`^\\+\\d{${MIN_INTERNATIONAL_DIGITS},${MAX_E164_DIGITS}}$`).test(e164 || '');
  }
  return countryOfPhone(e164, countries) !== null;
}

// "+7 (747) 236-75-03", "+998 90 123 45 67"; a number of no allowed country (or with any country allowed) as it is.
export function formatPhone(e164, countries) {
  const country = countryOfPhone(e164, countries);
  if (!country) return e164 || '';
  return `+${country.callingCode} ${formatNational(e164.slice(1 + country.callingCode.length), country)}`;
}

// With any country allowed the field takes the whole international number: "+" and up to 15 digits.
const internationalDigits = (raw) => String(raw).replace(/\D/g, '').slice(0, MAX_E164_DIGITS);

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

// The field, its prefix and the country picker. It owns the chosen country (`country`, null when any country is
// allowed) and what the field showed before the last edit (to tell a deleted separator from a deleted digit).
export class PhoneField {
  #valueBefore = '';

  constructor({ input, prefix, countryField, select }, countries, defaultRegion, i18n) {
    this.input = input;
    this.prefix = prefix;
    this.select = select;
    this.countries = countries;
    this.i18n = i18n;
    this.country = countries.find((country) => country.region === defaultRegion) ?? countries[0] ?? null;
    countryField.hidden = countries.length < 2;
    this.renderCountryNames();
    this.#showCountry();
    select.addEventListener('change', () => this.#pick(countries.find((country) => country.region === select.value)));
    input.addEventListener('input', (event) => this.#reformat(event));
  }

  // The picker's options in the page's language: "Узбекистан +998". Kept in the server's order (ALLOWED_COUNTRIES),
  // which the operator chose.
  renderCountryNames() {
    if (this.countries.length < 2) return;
    this.select.replaceChildren(...this.countries.map(
      (country) => new Option(`${this.i18n.regionName(country.region)} +${country.callingCode}`, country.region)));
    this.select.value = this.country.region;
  }

  focus() {
    this.input.focus();
  }

  // The number to send, in E.164, or the message that says what is missing. Only the length is checked here: the
  // server decides the rest (country, mobile) and says why in its answer.
  read() {
    const digits = this.#digitsOf(this.input.value);
    if (!this.country) {
      if (digits.length >= MIN_INTERNATIONAL_DIGITS) return { phone: `+${digits}` };
      return { message: this.i18n.t('phone.international') };
    }
    if (!this.country.lengths.includes(digits.length)) {
      const { lengths, callingCode } = this.country;
      return { message: this.i18n.t('phone.incomplete', { lengths, code: callingCode }) };
    }
    return { phone: `+${this.country.callingCode}${digits}` };
  }

  // Shows `e164` (the number being changed) with its country chosen, or empties the field.
  show(e164 = '') {
    const country = countryOfPhone(e164, this.countries, this.country);
    let digits = '';
    if (country) {
      this.country = country;
      this.#showCountry();
      digits = e164.slice(1 + country.callingCode.length);
    } else if (!this.country && e164) {
      digits = internationalDigits(e164);
    }
    this.#setValue(this.#format(digits));
  }

  #showCountry() {
    const { country } = this;
    this.prefix.hidden = !country;  // any country: the + and the code are typed in the field
    this.prefix.textContent = country ? `+${country.callingCode}` : '';
    this.input.placeholder = country ? PLACEHOLDERS[country.region] ?? formatNational(country.exampleDigits, country)
      : '+';
    if (this.countries.length > 1) this.select.value = country.region;
  }

  // Another country picked: the digits typed so far stay, grouped the new country's way.
  #pick(country) {
    if (!country || country === this.country) return;
    const digits = this.#digitsOf(this.input.value);
    this.country = country;
    this.#showCountry();
    this.#setValue(this.#format(digits.slice(0, country.maxLength)));
  }

  #digitsOf(raw) {
    return this.country ? nationalDigits(raw, this.country) : internationalDigits(raw);
  }

  #format(digits) {
    if (this.country) return formatNational(digits, this.country);
    return digits ? `+${digits}` : '';
  }

  #setValue(value) {
    this.input.value = value;
    this.#valueBefore = value;
  }

  // "+", "+9", "+99": the start of a calling code, kept as typed until it is whole (then the country it names is
  // chosen, and the code moves to the prefix).
  #startsCallingCode(text) {
    if (!/^\+\d*$/.test(text)) return false;
    const digits = text.slice(1);
    if (this.countries.length === 0) return digits === '';
    return this.countries.some((country) => country.callingCode.length > digits.length
      && country.callingCode.startsWith(digits));
  }

  #reformat(event) {
    const raw = this.input.value;
    const text = raw.trim();
    if (this.#startsCallingCode(text)) {
      this.#valueBefore = raw;
      return;
    }
    if (text.startsWith('+') && this.countries.length > 1) {
      const named = countryByCallingCode(text.replace(/\D/g, ''), this.countries, this.country);
      if (named && named !== this.country) {
        this.country = named;
        this.#showCountry();
      }
    }
    const caret = this.input.selectionStart ?? raw.length;
    let digits = this.#digitsOf(raw);
    let digitsBeforeCaret = countDigits(raw.slice(0, caret)) - (countDigits(raw) - digits.length);
    // Deleting a separator deletes nothing: take the digit beside it instead, as the user meant.
    if (event && countDigits(raw) === countDigits(this.#valueBefore) && raw.length < this.#valueBefore.length) {
      if (event.inputType === 'deleteContentBackward' && digitsBeforeCaret > 0) {
        digits = digits.slice(0, digitsBeforeCaret - 1) + digits.slice(digitsBeforeCaret);
        digitsBeforeCaret -= 1;
      } else if (event.inputType === 'deleteContentForward') {
        digits = digits.slice(0, digitsBeforeCaret) + digits.slice(digitsBeforeCaret + 1);
      }
    }
    const formatted = this.#format(digits);
    this.#setValue(formatted);
    if (document.activeElement === this.input) {
      const position = caretAfterDigit(formatted, Math.max(0, Math.min(digitsBeforeCaret, digits.length)));
      this.input.setSelectionRange(position, position);
    }
  }
}
