// The `scope` field the OAuth2 forms share (RFC 6749 section 3.3).

/** Splits a `scope` value on any run of whitespace, dropping empty pieces (Python's `str.split()`). */
export function splitScope(scope: string): string[] {
  return scope.split(/\s+/).filter((item) => item !== '');
}
