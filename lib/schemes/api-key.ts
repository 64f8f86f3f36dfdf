import type { ResponseHeaders } from '../security.exception.js';
import {
  definedOnly,
  firstHeaderValue,
  SecurityScheme,
  type SecurityRequest,
  type SecuritySchemeObject,
  type SecuritySchemeOptions,
} from './security-scheme.js';

export interface APIKeyOptions extends SecuritySchemeOptions {
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

/** API key in a cookie. The cookie name matches case-sensitively; no cookie middleware is needed. */
export class APIKeyCookie extends APIKeyBase {
  constructor(options: APIKeyOptions) {
    super('cookie', options);
  }

  extract(request: SecurityRequest): string | null {
    const header = request.headers.cookie;
    if (typeof header !== 'string') return null;
    const value = readCookie(header, this.name);
    return value ? value : null;
  }
}

/** Finds one cookie in a `Cookie` header without parsing the others. */
export function readCookie(header: string, name: string): string | undefined {
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq > start && eq < end && header.slice(start, eq).trim() === name) {
      return decodeCookieValue(header.slice(eq + 1, end).trim());
    }
    start = end + 1;
  }
  return undefined;
}

/** RFC 6265 allows a cookie value in double quotes; the quotes are not part of the value. */
function decodeCookieValue(raw: string): string {
  return raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
}
