/**
 * The emoji encoding of job ids ("basemoji", flux-core `src/common/libutil/basemoji.c`): the id
 * written in base 576, most significant digit first, each digit one emoji. Zero is `😃`.
 *
 * The 576 digits are a selection from the Unicode 2010 emoji set in CLDR collation order, the
 * table of flux-core. Every one is a single code point in U+1F000..U+1FFFF (two UTF-16 code units,
 * four UTF-8 bytes), with no variation selector.
 */
import { JobIDParseError } from './errors.js';

/** The base of the emoji encoding. */
export const EMOJI_BASE = 576;
/** At most this many emoji in an id: ceil(64 / log2(576)) = 7. */
export const EMOJI_MAX_DIGITS = 7;

const TABLE =
  '😃😄😁😆😅😂😉😊😍😘😚😋😜😝😏😒😌😔😪😷😵😲😳😨' +
  '😰😥😢😭😱😖😣😞😓😩😫😤😡😠👿💀💩👹👺👻👽👾😺😸' +
  '😹😻😼😽🙀😿😾🙈🙉🙊💌💘💝💖💗💓💞💕💟💔💛💚💙💜' +
  '💋💯💢💥💫💦💨💬💤👋👌👈👉👆👇👍👎👊👏🙌👐🙏💅💪' +
  '👂👃👀👅👄👶👦👧👱👨👩👴👵🙍🙎🙅🙆💁🙋🙇👮💂👷👸' +
  '👳👲👰👼🎅💆💇🚶🏃💃👯🏂🏄🏊🛀👫💏💑👪👤👣🐵🐒🐶' +
  '🐩🐺🐱🐯🐴🐎🐮🐷🐗🐽🐑🐫🐘🐭🐹🐰🐻🐨🐼🐾🐔🐣🐤🐥' +
  '🐦🐧🐸🐢🐍🐲🐳🐬🐟🐠🐡🐙🐚🐌🐛🐜🐝🐞💐🌸💮🌹🌺🌻' +
  '🌼🌷🌱🌴🌵🌾🌿🍀🍁🍂🍃🍄🍇🍈🍉🍊🍌🍍🍎🍏🍑🍒🍓🍅' +
  '🍆🌽🌰🍞🍖🍗🍔🍟🍕🍳🍲🍱🍘🍙🍚🍛🍜🍝🍠🍢🍣🍤🍥🍡' +
  '🍦🍧🍨🍩🍪🎂🍰🍫🍬🍭🍮🍯🍵🍶🍷🍸🍹🍺🍻🍴🔪🌏🗾🌋' +
  '🗻🏠🏡🏢🏣🏥🏦🏨🏩🏪🏫🏬🏭🏯🏰💒🗼🗽🌁🌃🌄🌅🌆🌇' +
  '🌉🎠🎡🎢💈🎪🚃🚄🚅🚇🚉🚌🚑🚒🚓🚕🚗🚙🚚🚲🚏🚨🚥🚧' +
  '🚤🚢💺🚀🕛🕐🕑🕒🕓🕔🕕🕖🕗🕘🕙🕚🌑🌓🌔🌕🌙🌛🌟🌠' +
  '🌌🌀🌈🌂🔥💧🌊🎃🎄🎆🎇🎈🎉🎊🎋🎍🎎🎏🎐🎑🎀🎁🎫🏆' +
  '🏀🏈🎾🎳🎣🎽🎿🎯🔫🎱🔮🎮🎰🎲🃏🀄🎴🎭🎨👓👔👕👖👗' +
  '👘👙👚👛👜👝🎒👞👟👠👡👢👑👒🎩🎓💄💍💎🔊📢📣🔔🎼' +
  '🎵🎶🎤🎧📻🎷🎸🎹🎺🎻📱📲📞📟📠🔋🔌💻💽💾💿📀🎥🎬' +
  '📺📷📹📼🔍🔎💡🔦🏮📔📕📖📗📘📙📚📓📒📃📜📄📰📑🔖' +
  '💰💴💵💸💳💹📧📨📩📤📥📦📫📪📮📝💼📁📂📅📆📇📈📉' +
  '📊📋📌📍📎📏📐🔒🔓🔏🔐🔑🔨💣🔧🔩🔗📡💉💊🚪🚽🚬🗿' +
  '🏧🚹🚺🚻🚼🚾🚫🚭🔞🔃🔙🔚🔛🔜🔝🔯🔼🔽🎦📶📳📴💱💲' +
  '🔱📛🔰🔟🔠🔡🔢🔣🔤🆎🆑🆒🆓🆔🆕🆖🆗🆘🆙🆚🈁🈶🈯🉐' +
  '🈹🈚🈲🉑🈸🈴🈳🈺🈵🔴🔵🔶🔷🔸🔹🔺🔻💠🔘🔳🔲🏁🚩🎌';

/** The 576 digits, index = value. */
export const EMOJI_DIGITS: readonly string[] = Object.freeze(Array.from(TABLE));

/** Digit value of each emoji code point. */
const DIGIT_VALUE: ReadonlyMap<number, number> = new Map(
  EMOJI_DIGITS.map((e, i) => [e.codePointAt(0)!, i] as const),
);

const U64_MAX = (1n << 64n) - 1n;
const RADIX3 = BigInt(EMOJI_BASE ** 3);
const BASE_BIG = BigInt(EMOJI_BASE);

/**
 * Encodes a 64-bit id in emoji.
 *
 * @param value - The id, `0 <= value < 2^64` (not checked: callers hold validated ids).
 * @returns For example `💁📚` for 65535.
 */
export function encodeEmoji(value: bigint): string {
  // Peel off three digits at a time (576^3 < 2^28) so the digit loops run on Numbers.
  let s = '';
  let v = value;
  while (v >= RADIX3) {
    let n = Number(v % RADIX3);
    v /= RADIX3;
    for (let k = 0; k < 3; k++) {
      s = EMOJI_DIGITS[n % EMOJI_BASE]! + s;
      n = Math.floor(n / EMOJI_BASE);
    }
  }
  let n = Number(v);
  do {
    s = EMOJI_DIGITS[n % EMOJI_BASE]! + s;
    n = Math.floor(n / EMOJI_BASE);
  } while (n > 0);
  return s;
}

/**
 * Whether `text` looks like an emoji id: it starts with a character outside the Basic
 * Multilingual Plane (a UTF-16 high surrogate). It may still fail to decode.
 *
 * @param text - Trimmed candidate text.
 */
export function looksLikeEmoji(text: string): boolean {
  const c = text.charCodeAt(0);
  return c >= 0xd800 && c <= 0xdbff;
}

/**
 * Decodes an emoji id. Leading zero digits (`😃`) are allowed, as in flux-core.
 *
 * @param text - The trimmed text.
 * @param input - The caller's original text, named in errors. Default `text`.
 * @returns The id as a bigint in `[0, 2^64)`.
 * @throws {@link JobIDParseError} if the text is empty, has a character that is not one of the 576
 *   digit emoji, has more than {@link EMOJI_MAX_DIGITS} emoji, or is 2^64 or more.
 */
export function decodeEmoji(text: string, input: string = text): bigint {
  let value = 0n;
  let count = 0;
  for (const ch of text) {
    const d = DIGIT_VALUE.get(ch.codePointAt(0)!);
    if (d === undefined) {
      const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      throw new JobIDParseError(input, `'${ch}' (U+${cp}) is not one of the 576 emoji digits`);
    }
    if (++count > EMOJI_MAX_DIGITS) {
      throw new JobIDParseError(input, `emoji id has more than ${EMOJI_MAX_DIGITS} emoji`);
    }
    value = value * BASE_BIG + BigInt(d);
  }
  if (count === 0) throw new JobIDParseError(input, 'empty emoji id');
  if (value > U64_MAX) throw new JobIDParseError(input, 'emoji value does not fit in 64 bits');
  return value;
}
