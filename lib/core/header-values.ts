// Helpers for putting user-configured text into HTTP header values safely.

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** True for an RFC 9110 `token` (an auth-scheme word must be one). */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

const HEADER_TEXT = /^[\x20-\x7e]*$/;

/**
 * True for text that can go into a header value on every platform: printable ASCII (space to `~`).
 * Node refuses control characters and anything above U+00FF outright (a 500 at request time), and
 * sends U+0080-U+00FF as Latin-1 bytes that clients read differently.
 */
export function isHeaderText(value: string): boolean {
  return HEADER_TEXT.test(value);
}

/**
 * Refuses configuration text that cannot go into a header, naming the option:
 * `HTTPBasic: realm must be printable ASCII without control characters, got "Zone € 1".`
 */
export function checkHeaderText(owner: string, option: string, value: unknown): string {
  if (typeof value !== 'string' || !isHeaderText(value)) {
    throw new Error(`${owner}: ${option} must be printable ASCII without control characters, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/** An RFC 9110 quoted-string: quotes and backslashes escaped; anything but printable ASCII is refused. */
export function quoteString(value: string): string {
  if (!isHeaderText(value)) {
    throw new Error(`A header parameter must be printable ASCII without control characters, got ${JSON.stringify(value)}.`);
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Refuses response headers that Node would refuse when sending them: a name that is not an RFC 9110
 * token, or a value that is not printable ASCII. `owner` names what produced them.
 */
export function checkResponseHeaders(owner: string, headers: Record<string, unknown> | undefined): void {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!isToken(name)) throw new Error(`${owner}: header name ${JSON.stringify(name)} is not an HTTP token.`);
    checkHeaderText(owner, `the ${name} header`, value);
  }
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

/**
 * `Authorization: <scheme> <credentials>` -> the credentials (trimmed, possibly empty) when the header's
 * first word is `scheme` (given in lower case; matched case-insensitively), else null. Reads the header in
 * place: no split, no lower-cased copy.
 */
export function authorizationCredentials(header: string | string[] | undefined, scheme: string): string | null {
  const length = scheme.length;
  if (typeof header !== 'string' || header.length < length) return null;
  if (header.length > length && header.charCodeAt(length) !== SPACE) return null;
  for (let i = 0; i < length; i++) {
    const sent = header.charCodeAt(i);
    const expected = scheme.charCodeAt(i);
    if (sent !== expected && !(sent >= UPPER_A && sent <= UPPER_Z && sent + 32 === expected)) return null;
  }
  return header.length === length ? '' : header.slice(length + 1).trim();
}

const SPACE = 0x20;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
