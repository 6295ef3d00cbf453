/**
 * The checks that turn a pattern match into a finding: Luhn for card numbers, ISO 7064 mod-97
 * and the per-country length for IBANs, the SSA's area/group/serial rules for SSNs, a decodable
 * header for JWTs, the calling-code table for international phone numbers.
 */

/** Luhn (ISO/IEC 7812-1) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Issuer prefixes of the card networks (Visa, Mastercard, Amex, Discover, Diners, JCB,
 * UnionPay, Maestro) with their lengths, so that a Luhn-valid order number of the wrong shape
 * is not a card.
 */
export function cardIssuerValid(digits: string): boolean {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === '4') return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // Amex
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) return n >= 16 && n <= 19; // Discover
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14 && n <= 19; // Diners
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  if (digits[0] === '1') return n === 15; // UATP
  if (p2 === 50 || (p2 >= 56 && p2 <= 69) || p2 === 67) return n >= 12 && n <= 19; // Maestro
  return false;
}

/** IBAN length per country (SWIFT IBAN registry). */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27,
  MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33,
  SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};

export function ibanLength(country: string): number | undefined {
  return IBAN_LENGTHS[country];
}

/** ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 = 1. */
export function ibanValid(compact: string): boolean {
  if (IBAN_LENGTHS[compact.slice(0, 2)] !== compact.length) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    if (code >= 48 && code <= 57) remainder = (remainder * 10 + (code - 48)) % 97;
    else if (code >= 65 && code <= 90) remainder = (remainder * 100 + (code - 55)) % 97;
    else return false;
  }
  return remainder === 1;
}

/**
 * US SSN rules (SSA, since 2011 randomization): area not 000, 666 or 900-999; group not 00;
 * serial not 0000; plus the two numbers the SSA says were publicized and voided.
 */
export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (group === '00' || serial === '0000') return false;
  const whole = `${area}${group}${serial}`;
  return whole !== '078051120' && whole !== '219099999';
}

/**
 * `part` as base64url of a JSON object, or undefined (longer than `maxLength`, not base64url of an
 * object, or its text lacks `mustHold`). The text is tested before JSON.parse: a failed parse (an
 * exception) costs ~10x the test.
 */
function base64urlObject(part: string, maxLength: number, mustHold = ''): Record<string, unknown> | undefined {
  if (part.length > maxLength) return undefined;
  try {
    const text = Buffer.from(part, 'base64url').toString('utf8').trim();
    if (!text.startsWith('{') || !text.endsWith('}') || !text.includes(mustHold)) return undefined;
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A JWT's first part must be base64url of a JSON object naming its algorithm. */
export function jwtHeaderValid(part: string): boolean {
  return typeof base64urlObject(part, 2000, '"alg"')?.alg === 'string';
}

/** ITU-T E.164 country calling codes (one to three digits) in use. */
const CALLING_CODES = new Set(
  (
    '1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 ' +
    '211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 248 249 ' +
    '250 251 252 253 254 255 256 257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352 353 354 355 356 357 358 359 ' +
    '370 371 372 373 374 375 376 377 378 380 381 382 383 385 386 387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 590 591 592 593 ' +
    '594 595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692 850 852 853 855 856 880 886 ' +
    '960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 992 993 994 995 996 998'
  ).split(' '),
);

/** Whether `digits` (country code first) starts with a calling code and has an E.164 length. */
export function internationalNumberValid(digits: string): boolean {
  if (digits.length < 8 || digits.length > 15) return false;
  for (let size = 1; size <= 3; size++) {
    if (CALLING_CODES.has(digits.slice(0, size))) {
      const national = digits.length - size;
      // NANP numbers have exactly 10 national digits with area and exchange codes not starting with 0/1.
      if (size === 1 && digits[0] === '1') return national === 10 && nanpValid(digits.slice(1));
      return national >= 6 && national <= 13;
    }
  }
  return false;
}

/** NANP: area code and exchange code both [2-9]XX; the area code is not an N11 service code. */
export function nanpValid(ten: string): boolean {
  if (ten.length !== 10) return false;
  const a = ten.charCodeAt(0) - 48;
  const e = ten.charCodeAt(3) - 48;
  if (a < 2 || e < 2) return false;
  return !(ten[1] === '1' && ten[2] === '1');
}

/** A JWT's second part, when there is no third to vouch for it: base64url of a JSON object. */
export function jwtClaimsValid(part: string): boolean {
  return base64urlObject(part, 8000) !== undefined;
}
