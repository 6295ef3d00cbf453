/**
 * Built-in detectors for the prompt-injection rules: what a regular expression cannot say well
 * (decode a data URL, tell a flag emoji from hidden text). Each is one pass over its input.
 */

/** Phrases that try to take over the model; tested on decoded data-URL text too. */
export const INJECTION_PHRASE =
  /\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+)?(?:previous|prior|above|earlier|preceding|original|system)\s+(?:instructions?|prompts?|directions?|rules|guidelines)\b/i;

const TAG_FIRST = 0xe0000;
const TAG_LAST = 0xe007f;
const CANCEL_TAG = 0xe007f;
const BLACK_FLAG = 0x1f3f4;

/**
 * Unicode tag characters (U+E0000–U+E007F) outside a flag emoji sequence (U+1F3F4 followed by tags
 * and U+E007F, e.g. the flag of England): invisible to a person, read by a model.
 */
function hiddenUnicodeTags(text: string): boolean {
  let inFlag = false;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // Tag characters and U+1F3F4 are astral: a high surrogate first.
    if (unit < 0xd800 || unit > 0xdbff) {
      inFlag = false;
      continue;
    }
    const cp = text.codePointAt(i)!;
    i++;
    if (cp === BLACK_FLAG) {
      inFlag = true;
      continue;
    }
    if (cp >= TAG_FIRST && cp <= TAG_LAST) {
      if (inFlag) {
        if (cp === CANCEL_TAG) inFlag = false;
        continue;
      }
      return true;
    }
    inFlag = false;
  }
  return false;
}

/** `data:<type>[;params],<data>`: the bounded quantifiers keep it linear. */
const DATA_URL = /data:([\w.+-]{1,64}\/[\w.+-]{1,64})?((?:;[\w.+-]{1,64}(?:=[\w.+-]{1,64})?){0,8}),/gi;
/** Most characters of one data URL's payload decoded. */
const MAX_DATA_CHARS = 65_536;
const NOT_DATA = /[^A-Za-z0-9+/=_%.~!*'()-]/;

/** A data URL whose decoded text carries an instruction phrase. */
function dataUrlInstructions(text: string): boolean {
  if (!/data:/i.test(text)) return false;
  DATA_URL.lastIndex = 0;
  let match: RegExpExecArray | null;
  let seen = 0;
  while ((match = DATA_URL.exec(text)) !== null && seen++ < 1000) {
    const start = DATA_URL.lastIndex;
    let end = start;
    const limit = Math.min(text.length, start + MAX_DATA_CHARS);
    while (end < limit && !NOT_DATA.test(text[end]!)) end++;
    const data = text.slice(start, end);
    let decoded: string;
    try {
      decoded = /;base64/i.test(match[2] ?? '') ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data);
    } catch {
      decoded = data;
    }
    if (INJECTION_PHRASE.test(decoded) || hiddenUnicodeTags(decoded)) return true;
    DATA_URL.lastIndex = Math.max(end, start);
  }
  return false;
}

export const DETECTORS = {
  'hidden-unicode-tags': hiddenUnicodeTags,
  'data-url-instructions': dataUrlInstructions,
} as const satisfies Record<string, (text: string) => boolean>;

export type DetectorName = keyof typeof DETECTORS;
