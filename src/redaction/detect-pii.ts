/**
 * Personal-data detectors, linear like the secret ones: bounded patterns anchored on a digit, a
 * `+` or a letter pair, or hand-written scans anchored on `@` and `:`; every match is then
 * checked (NANP rules, E.164 calling codes, SSA rules, Luhn and issuer prefixes, mod-97 and the
 * country's IBAN length, octet ranges, `net.isIP`).
 */
import { isIP } from 'node:net';
import type { MatchList } from './categories.js';
import { cardIssuerValid, ibanLength, ibanValid, internationalNumberValid, luhnValid, nanpValid, ssnValid } from './checksums.js';
import { isAlnum } from './detect-secrets.js';

const isDigit = (c: number) => c >= 48 && c <= 57;
const isWordChar = (c: number) => isAlnum(c) || c === 95;
const isLocalChar = (c: number) => isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45; // . _ % + -
const isDomainChar = (c: number) => isAlnum(c) || c === 46 || c === 45;

/** Domain endings that are file types: `icon@2x.png` is an asset, not an address. */
const FILE_ENDINGS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx', 'css', 'json', 'md', 'html', 'map', 'txt', 'yaml', 'yml', 'lock', 'py', 'rb', 'go', 'rs']);

export function scanEmails(text: string, out: MatchList): void {
  let pos = 0;
  let at: number;
  while ((at = text.indexOf('@', pos)) !== -1) {
    pos = at + 1;
    let s = at;
    while (s > 0 && at - s < 64 && isLocalChar(text.charCodeAt(s - 1))) s--;
    if (s === at || (s > 0 && isLocalChar(text.charCodeAt(s - 1)))) continue;
    while (s < at && (text.charCodeAt(s) === 46 || text.charCodeAt(s) === 45)) s++;
    if (s === at || text.charCodeAt(at - 1) === 46) continue;
    if (s >= 3 && text.startsWith('://', s - 3)) continue; // user@host of a URL
    if (s > 0 && text.charCodeAt(s - 1) === 58 && userOfUrl(text, s - 1)) continue; // user:password@host of a URL: the password detector's
    let d = at + 1;
    while (d < text.length && d - at <= 253 && isDomainChar(text.charCodeAt(d))) d++;
    pos = Math.max(pos, d);
    while (d > at + 1 && (text.charCodeAt(d - 1) === 46 || text.charCodeAt(d - 1) === 45)) d--;
    const domain = text.slice(at + 1, d);
    const lastDot = domain.lastIndexOf('.');
    if (lastDot < 1 || domain.includes('..') || domain.startsWith('-')) continue;
    const tld = domain.slice(lastDot + 1);
    if (!/^(?:[A-Za-z]{2,24}|xn--[a-z0-9-]{2,59})$/i.test(tld) || FILE_ENDINGS.has(tld.toLowerCase())) continue;
    if (d < text.length && (text.charCodeAt(d) === 64 || isWordChar(text.charCodeAt(d)))) continue;
    // git@github.com:org/repo is an SSH address.
    if (text.charCodeAt(d) === 58 && text.slice(s, at) === 'git') continue;
    out.add('email', s, d);
  }
}

/** Whether the `:` at `colon` follows `scheme://user` (at most 64 characters back, no space). */
function userOfUrl(text: string, colon: number): boolean {
  for (let i = colon - 1; i >= 2 && colon - i <= 64; i--) {
    const c = text.charCodeAt(i);
    if (c === 47 && text.charCodeAt(i - 1) === 47 && text.charCodeAt(i - 2) === 58) return true;
    if (c === 32 || c === 10 || c === 34 || c === 39 || c === 64 || c === 47) return false;
  }
  return false;
}

const NANP = /(?:\+1[ .-]?|1[ .-])?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}/g;
const INTERNATIONAL = /\+\d[\d .()-]{6,22}\d/g;
/** A character before a number that makes it part of something else (an id, a version, a path). */
const joinsBefore = (c: number) => isWordChar(c) || c === 45 || c === 46 || c === 43 || c === 47 || c === 35;
const joinsAfter = (text: string, i: number) => {
  const c = text.charCodeAt(i);
  if (isWordChar(c)) return true;
  return (c === 45 || c === 46 || c === 47) && isDigit(text.charCodeAt(i + 1));
};

/**
 * Phone numbers in a written format: NANP (`(415) 555-2671`, `415-555-2671`, `+1 415 555 2671`)
 * and international (`+44 20 7946 0958`). Unformatted digit runs are left alone: they are order
 * numbers and timestamps far more often than phone numbers.
 */
export function scanPhones(text: string, out: MatchList): void {
  NANP.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = NANP.exec(text)) !== null) {
    const start = m.index;
    const end = start + m[0].length;
    if (start > 0 && joinsBefore(text.charCodeAt(start - 1))) continue;
    if (end < text.length && joinsAfter(text, end)) continue;
    const digits = m[0].replace(/\D/g, '');
    if (!nanpValid(digits.length === 11 ? digits.slice(1) : digits)) continue;
    out.add('phone', start, end);
  }
  scanNationalPhones(text, out);
  if (text.indexOf('+') === -1) return;
  INTERNATIONAL.lastIndex = 0;
  while ((m = INTERNATIONAL.exec(text)) !== null) {
    const start = m.index;
    const end = start + m[0].length;
    if (start > 0 && (isWordChar(text.charCodeAt(start - 1)) || text.charCodeAt(start - 1) === 43)) continue;
    if (end < text.length && joinsAfter(text, end)) continue;
    const raw = m[0];
    if (/[ .()-]{2}/.test(raw.replace(/\) /g, ')').replace(/ \(/g, '('))) continue;
    if (raw.startsWith('+1') && /^\+1[ .-]?\(?\d{3}/.test(raw)) {
      const digits = raw.replace(/\D/g, '');
      if (digits.length !== 11 || !nanpValid(digits.slice(1))) continue;
    } else if (!internationalNumberValid(raw.replace(/\D/g, ''))) continue;
    out.add('phone', start, end);
  }
}

/** A national number: the trunk prefix 0 then 9 to 11 digits in groups (`020 7946 0958`, `090-1234-5678`, `09-7625400`), or a Chinese mobile number (`13812345678`). */
const NATIONAL = /0\d{1,4}[ -]?\d{2,4}[ -]?\d{3,4}|1[3-9]\d{9}/g;
/** Words that say a number is a phone number, at most 24 characters before it. */
const PHONE_CONTEXT = /(?:phone|tel|call|mobile|cell|whatsapp|fax|contact|number|nummer|numéro|téléphone|telefon|携帯|電話|手机|电话)[^0-9]{0,24}$/i;

/** "order number 0201234567", "account no. 0123456789": a number, not a phone number. */
const NOT_PHONE_CONTEXT = /(?:order|invoice|account|acct|ticket|tracking|reference|ref|serial|case|routing|policy|customer id|iban|sku)\b[^0-9]{0,24}$/i;

/**
 * Numbers without a country code are written the way each country writes them, and look like
 * order numbers and ids: they count only after a word that says "phone" (libphonenumber would
 * need a region per text, and could not tell an id from a number either).
 */
function scanNationalPhones(text: string, out: MatchList): void {
  NATIONAL.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = NATIONAL.exec(text)) !== null) {
    const start = m.index;
    const end = start + m[0].length;
    if (start > 0 && (joinsBefore(text.charCodeAt(start - 1)) || text.charCodeAt(start - 1) === 40)) continue;
    if (end < text.length && (joinsAfter(text, end) || isDigit(text.charCodeAt(end)))) continue;
    const digits = m[0].replace(/\D/g, '').length;
    if (digits < 9 || digits > 11) continue;
    const before = text.slice(Math.max(0, start - 40), start);
    if (!PHONE_CONTEXT.test(before) || NOT_PHONE_CONTEXT.test(before)) continue;
    out.add('phone', start, end);
  }
}

/** AAA-GG-SSSS, with one separator used twice: `-`, `.` or a space (as forms and exports write it). */
const SSN = /\d{3}([-. ])\d{2}\1\d{4}/g;
/** Nine bare digits are an SSN only after one of these words, at most 24 characters before them ("SSN is 536225123"). */
const SSN_CONTEXT = /\b(?:ssn|ss#|social security|social sec\.?|tax ?id|tin)\b/i;
const BARE_NINE = /\d{9}/g;

export function scanSsns(text: string, out: MatchList): void {
  SSN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = SSN.exec(text)) !== null) {
    const start = m.index;
    const end = start + 11;
    if (start > 0 && joinsBefore(text.charCodeAt(start - 1))) continue;
    if (end < text.length && joinsAfter(text, end)) continue;
    if (!ssnValid(m[0].slice(0, 3), m[0].slice(4, 6), m[0].slice(7))) continue;
    out.add('ssn', start, end);
  }
  if (!/ss|social|tax|tin/i.test(text)) return;
  BARE_NINE.lastIndex = 0;
  while ((m = BARE_NINE.exec(text)) !== null) {
    const start = m.index;
    const end = start + 9;
    if (start > 0 && (isWordChar(text.charCodeAt(start - 1)) || text.charCodeAt(start - 1) === 45 || text.charCodeAt(start - 1) === 46)) {
      BARE_NINE.lastIndex = skipDigits(text, end);
      continue;
    }
    if (end < text.length && (isDigit(text.charCodeAt(end)) || joinsAfter(text, end))) {
      BARE_NINE.lastIndex = skipDigits(text, end);
      continue;
    }
    if (!SSN_CONTEXT.test(text.slice(Math.max(0, start - 24), start))) continue;
    if (!ssnValid(m[0].slice(0, 3), m[0].slice(3, 5), m[0].slice(5))) continue;
    out.add('ssn', start, end);
  }
}

/**
 * A card number as cards print it: 4-4-4(-4)(-1..4) groups with one separator, Amex 4-6-5 (and
 * 4-6-4), or 12-19 plain digits. Grouped forms first, so that "4012888888881881 4012 8888 ..."
 * reads as two numbers, not as one run of digits across the space.
 */
const CARD = /\d{4}([ -])\d{4}\1\d{4}(?:\1\d{4}\1\d{1,3}|\1\d{1,4})?|\d{4}([ -])\d{6}\2\d{4,5}|\d{12,19}/g;

/** Card numbers: 12-19 digits, grouped as cards print them, a known issuer prefix, Luhn-valid. */
export function scanCards(text: string, out: MatchList): void {
  CARD.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CARD.exec(text)) !== null) {
    const start = m.index;
    let end = start + m[0].length;
    if (start > 0 && (joinsBefore(text.charCodeAt(start - 1)) || isDigit(text.charCodeAt(start - 1)))) {
      CARD.lastIndex = skipDigits(text, end);
      continue;
    }
    if (end < text.length && isDigit(text.charCodeAt(end))) {
      end = skipDigits(text, end);
      CARD.lastIndex = end;
      continue;
    }
    if (end < text.length && joinsAfter(text, end)) continue;
    const digits = m[0].replace(/[ -]/g, '');
    if (digits.length < 12 || digits.length > 19 || !cardIssuerValid(digits) || !luhnValid(digits)) continue;
    out.add('credit_card', start, end);
  }
}

function skipDigits(text: string, from: number): number {
  let i = from;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  return i;
}

const IBAN = /[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,8}(?: ?[A-Z0-9]{1,3})?/g;

export function scanIbans(text: string, out: MatchList): void {
  IBAN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = IBAN.exec(text)) !== null) {
    const start = m.index;
    if (start > 0 && isWordChar(text.charCodeAt(start - 1))) continue;
    const raw = m[0];
    const expected = ibanLength(raw.slice(0, 2));
    if (expected === undefined) continue;
    // Cut the candidate where the country's length ends; the cut must fall on a group boundary.
    let count = 0;
    let end = start;
    for (let i = 0; i < raw.length && count < expected; i++) {
      if (raw.charCodeAt(i) !== 32) count++;
      end = start + i + 1;
    }
    if (count < expected) continue;
    if (end < text.length && isWordChar(text.charCodeAt(end))) continue;
    IBAN.lastIndex = end;
    if (!ibanValid(text.slice(start, end).replace(/ /g, ''))) continue;
    out.add('iban', start, end);
  }
}

const IPV4 = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/g;

export function scanIps(text: string, out: MatchList, v4: boolean, v6: boolean): void {
  if (v4) {
    IPV4.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = IPV4.exec(text)) !== null) {
      const start = m.index;
      const end = start + m[0].length;
      const before = start > 0 ? text.charCodeAt(start - 1) : 32;
      if (isWordChar(before) || before === 46 || before === 45) continue;
      if (end < text.length && (isWordChar(text.charCodeAt(end)) || (text.charCodeAt(end) === 46 && isDigit(text.charCodeAt(end + 1))))) continue;
      if (!m[0].split('.').every((o) => Number(o) <= 255 && (o.length === 1 || o[0] !== '0'))) continue;
      // "version 1.2.3.4", "build 1.2.3.4", "v1.2.3.4" are versions.
      if (/(?:version|build|release|rev)\s*:?\s*$|\bv$/i.test(text.slice(Math.max(0, start - 10), start))) continue;
      out.add('ip_address', start, end);
    }
  }
  if (v6) scanIpv6(text, out);
}

const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isV6Char = (c: number) => isHex(c) || c === 58 || c === 46;

function scanIpv6(text: string, out: MatchList): void {
  let pos = 0;
  let colon: number;
  while ((colon = text.indexOf(':', pos)) !== -1) {
    let s = colon;
    while (s > 0 && colon - s < 40 && isV6Char(text.charCodeAt(s - 1))) s--;
    let e = colon;
    while (e < text.length && e - s < 46 && isV6Char(text.charCodeAt(e))) e++;
    pos = e + 1;
    if ((s > 0 && (isWordChar(text.charCodeAt(s - 1)) || isV6Char(text.charCodeAt(s - 1)))) || (e < text.length && (isWordChar(text.charCodeAt(e)) || isV6Char(text.charCodeAt(e))))) {
      // Skip the rest of this run only (when the length bound cut it), never the next one: from
      // `e + 1`, "IP: 2001:db8::1" lost the address after the rejected "IP:".
      pos = e;
      while (pos < text.length && isV6Char(text.charCodeAt(pos))) pos++;
      pos = Math.max(pos, colon + 1);
      continue;
    }
    while (e > s && text.charCodeAt(e - 1) === 46) e--;
    const candidate = text.slice(s, e);
    let colons = 0;
    let hex = 0;
    for (let i = 0; i < candidate.length; i++) {
      const c = candidate.charCodeAt(i);
      if (c === 58) colons++;
      else if (isHex(c)) hex++;
    }
    if (colons < 2 || (hex < 3 && candidate !== '::1')) continue;
    if (isIP(candidate) !== 6) continue;
    out.add('ip_address', s, e);
  }
}
