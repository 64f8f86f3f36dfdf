// Helpers for putting user-configured text into HTTP header values safely.

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** True for an RFC 9110 `token` (an auth-scheme word must be one). */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/** An RFC 9110 quoted-string: quotes and backslashes escaped; control characters are refused. */
export function quoteString(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
    throw new Error('A header parameter cannot contain control characters or line breaks.');
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Python's `str.title()` on an auth-scheme word: `bearer` -> `Bearer`, `my-token` -> `My-Token`. */
export function titleCase(word: string): string {
  let out = '';
  let previousIsLetter = false;
  for (const char of word) {
    const isLetter = char.toLowerCase() !== char.toUpperCase();
    out += isLetter ? (previousIsLetter ? char.toLowerCase() : char.toUpperCase()) : char;
    previousIsLetter = isLetter;
  }
  return out;
}

/** RFC 6749 scope-token: printable ASCII except space, `"` and `\`. */
export function isScopeToken(value: string): boolean {
  return /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(value);
}
