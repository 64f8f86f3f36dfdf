import { isToken } from '../core/header-values.js';
import type { ResponseHeaders } from '../core/security.exception.js';
import {
  definedOnly,
  firstHeaderValue,
  SecurityScheme,
  type KnownScopesOptions,
  type SecurityRequest,
  type SecuritySchemeObject,
  type SecuritySchemeOptions,
} from './security-scheme.js';

export interface APIKeyOptions extends SecuritySchemeOptions, KnownScopesOptions {
  /** Name of the header, query parameter or cookie that carries the key. */
  name: string;
}

/** Shared behaviour of the three API-key schemes. The key is returned exactly as sent. */
export abstract class APIKeyBase extends SecurityScheme<string> {
  readonly name: string;

  protected constructor(
    readonly location: 'header' | 'query' | 'cookie',
    options: APIKeyOptions,
  ) {
    super(options);
    if (typeof options?.name !== 'string' || options.name.length === 0) {
      throw new Error(`${new.target.name}: "name" must be a non-empty string.`);
    }
    this.name = options.name;
    this.declareScopes(options.scopes);
  }

  /** API keys have no standard challenge; FastAPI sends `APIKey`, and so do we. */
  makeAuthenticateHeaders(): ResponseHeaders {
    return { 'WWW-Authenticate': 'APIKey' };
  }

  toOpenAPI(): SecuritySchemeObject {
    return definedOnly({ type: 'apiKey', in: this.location, name: this.name, description: this.description });
  }
}

/** API key in a request header. The header name matches case-insensitively. */
export class APIKeyHeader extends APIKeyBase {
  private readonly headerKey: string;

  constructor(options: APIKeyOptions) {
    super('header', options);
    if (!isToken(this.name)) {
      throw new Error(`${new.target.name}: name must be an HTTP header name (an RFC 9110 token), got ${JSON.stringify(this.name)}.`);
    }
    this.headerKey = this.name.toLowerCase();
  }

  /** The first value when the header is sent more than once (Node would join them into `"a, b"`). */
  extract(request: SecurityRequest): string | null {
    const key = firstHeaderValue(request, this.headerKey);
    return key ? key : null;
  }
}

/** API key in a query parameter. The parameter name matches case-sensitively. */
export class APIKeyQuery extends APIKeyBase {
  constructor(options: APIKeyOptions) {
    super('query', options);
  }

  extract(request: SecurityRequest): string | null {
    const query = request.query as Record<string, unknown> | undefined;
    let value = query?.[this.name];
    if (Array.isArray(value)) value = value[value.length - 1];
    return typeof value === 'string' && value.length > 0 ? value : null;
  }
}

/**
 * API key in a cookie. The cookie name matches case-sensitively; no cookie middleware is needed. The value
 * is decoded as the `cookie` package (Express, `@fastify/cookie`) decodes it, so a cookie the application set
 * with `res.cookie()` or `reply.setCookie()` reads back as it was set. With two cookies of one name, the
 * first wins (as in `cookie`).
 */
export class APIKeyCookie extends APIKeyBase {
  constructor(options: APIKeyOptions) {
    super('cookie', options);
    if (!isToken(this.name)) {
      throw new Error(`${new.target.name}: name must be a cookie name (an RFC 9110 token), got ${JSON.stringify(this.name)}.`);
    }
  }

  extract(request: SecurityRequest): string | null {
    const header = request.headers.cookie;
    if (typeof header !== 'string') return null;
    const value = readCookie(header, this.name);
    return value ? value : null;
  }
}

/**
 * One cookie from a `Cookie` header, parsed as `cookie.parse()` does (cookie 0.7): pairs split on `;`, the
 * name and value trimmed of spaces and tabs, surrounding double quotes dropped, then percent-decoded (a
 * malformed escape leaves the value as is). The first cookie of that name wins. One linear pass: a header
 * made of many `;` costs no more than its length.
 */
export function readCookie(header: string, name: string): string | undefined {
  const length = header.length;
  let index = 0;
  while (index < length) {
    const eq = header.indexOf('=', index);
    if (eq < 0) return undefined; // no pair left
    let end = header.indexOf(';', index);
    if (end < 0) end = length;
    else if (end < eq) {
      index = header.lastIndexOf(';', eq - 1) + 1; // skip straight to the piece that holds this '='
      continue;
    }
    const nameStart = skipBlanks(header, index, eq);
    if (trimBlanksEnd(header, eq, nameStart) - nameStart === name.length && header.startsWith(name, nameStart)) {
      let valueStart = skipBlanks(header, eq + 1, end);
      let valueEnd = trimBlanksEnd(header, end, valueStart);
      if (header.charCodeAt(valueStart) === 0x22 && header.charCodeAt(valueEnd - 1) === 0x22) {
        valueStart++;
        valueEnd--;
      }
      return decodeCookieValue(header.slice(valueStart, valueEnd));
    }
    index = end + 1;
  }
  return undefined;
}

/** The first index from `start` (below `max`) that is not a space or a tab, else `max`. */
function skipBlanks(text: string, start: number, max: number): number {
  for (let i = start; i < max; i++) {
    const code = text.charCodeAt(i);
    if (code !== 0x20 && code !== 0x09) return i;
  }
  return max;
}

/** The end of `text` before `end` once trailing spaces and tabs (not before `min`) are dropped. */
function trimBlanksEnd(text: string, end: number, min: number): number {
  let i = end;
  while (i > min) {
    const code = text.charCodeAt(i - 1);
    if (code !== 0x20 && code !== 0x09) break;
    i--;
  }
  return i;
}

/** `cookie`'s default decoding: percent-decoding when there is a `%`, the raw value when it is malformed. */
function decodeCookieValue(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
