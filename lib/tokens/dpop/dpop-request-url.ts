import type { DPoPRequestUrlOptions } from './dpop-options.interface.js';

/** The parts of an Express or Fastify request that tell which URL the client called. */
export interface UrlRequest {
  headers: Record<string, string | string[] | undefined>;
  url?: string;
  /** Express: the URL before any router rewrote `url`; Fastify has it too. */
  originalUrl?: string;
  socket?: { encrypted?: boolean };
  /** Fastify's Node request. */
  raw?: { socket?: { encrypted?: boolean } };
}

/**
 * The URL a DPoP proof's `htu` must name, for one request (RFC 9449 §4.3, point 9): its scheme and host, as the
 * options say where to read them, and its path, without query or fragment, normalised as `normalizeHtu` does.
 */
export class DPoPRequestUrl {
  private readonly publicOrigin: string | undefined;
  private readonly forwarded: DPoPRequestUrlOptions['forwardedHeaders'];

  constructor(owner: string, options: DPoPRequestUrlOptions) {
    if (options.publicOrigin !== undefined) {
      const origin = typeof options.publicOrigin === 'string' ? normalizeHtu(options.publicOrigin) : undefined;
      if (origin === undefined || /[?#]/.test(options.publicOrigin)) {
        throw new Error(`${owner}: dpop.publicOrigin must be an absolute http(s) URL without query, e.g. 'https://api.example.com'.`);
      }
      this.publicOrigin = origin.replace(/\/+$/, '');
    }
    if (options.forwardedHeaders !== undefined && options.forwardedHeaders !== 'x-forwarded' && options.forwardedHeaders !== 'forwarded') {
      throw new Error(`${owner}: dpop.forwardedHeaders must be 'x-forwarded' or 'forwarded'.`);
    }
    if (options.forwardedHeaders !== undefined && this.publicOrigin !== undefined) {
      throw new Error(`${owner}: give dpop.publicOrigin or dpop.forwardedHeaders, not both.`);
    }
    this.forwarded = options.forwardedHeaders;
  }

  /** The normalised URL of the request, or undefined when it cannot be known (no Host header, say). */
  of(request: UrlRequest): string | undefined {
    const target = request.originalUrl ?? request.url;
    if (typeof target !== 'string') return undefined;
    const end = target.search(/[?#]/);
    const path = end < 0 ? target : target.slice(0, end);
    if (!path.startsWith('/')) return undefined;
    if (this.publicOrigin !== undefined) return normalizeHtu(this.publicOrigin + path);
    let proto: string | undefined;
    let host: string | undefined;
    if (this.forwarded === 'x-forwarded') {
      proto = firstValue(request.headers['x-forwarded-proto']);
      host = firstValue(request.headers['x-forwarded-host']);
    } else if (this.forwarded === 'forwarded') {
      ({ proto, host } = forwardedElement(request.headers.forwarded));
    }
    proto ??= (request.socket ?? request.raw?.socket)?.encrypted ? 'https' : 'http';
    host ??= headerValue(request.headers.host) ?? headerValue(request.headers[':authority']);
    if (host === undefined || host === '' || /[/?#@\\\s]/.test(host)) return undefined;
    return normalizeHtu(`${proto}://${host}${path}`);
  }
}

/**
 * An `htu` (or request URL) normalised for comparison (RFC 9449 §4.3, RFC 3986 §6.2.2 and §6.2.3): http or https
 * only, scheme and host in lower case, the default port dropped, an empty path as `/`, percent-encoded unreserved
 * characters decoded and other percent-encodings in upper case, query and fragment dropped. Undefined when it is
 * not an absolute http(s) URL, or carries a user name or password.
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return undefined;
  const path = url.pathname.includes('%') ? url.pathname.replace(/%[0-9A-Fa-f]{2}/g, normalizePercent) : url.pathname;
  return `${url.protocol}//${url.host}${path}`;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

function normalizePercent(encoded: string): string {
  const char = String.fromCharCode(parseInt(encoded.slice(1), 16));
  return UNRESERVED.test(char) ? char : encoded.toUpperCase();
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The first of a comma-separated header's values, trimmed; undefined when absent or empty. */
function firstValue(value: string | string[] | undefined): string | undefined {
  const header = headerValue(value);
  if (header === undefined) return undefined;
  const comma = header.indexOf(',');
  const first = (comma < 0 ? header : header.slice(0, comma)).trim();
  return first === '' ? undefined : first;
}

/** `proto` and `host` of the first element of a `Forwarded` header (RFC 7239 §4). */
function forwardedElement(value: string | string[] | undefined): { proto?: string; host?: string } {
  const header = headerValue(value);
  if (header === undefined) return {};
  const found: { proto?: string; host?: string } = {};
  const element = header.split(',')[0];
  for (const pair of element.split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 0) continue;
    const name = pair.slice(0, equals).trim().toLowerCase();
    let parameter = pair.slice(equals + 1).trim();
    if (parameter.length >= 2 && parameter.startsWith('"') && parameter.endsWith('"')) parameter = parameter.slice(1, -1).replace(/\\(.)/g, '$1');
    if ((name === 'proto' || name === 'host') && parameter !== '') found[name] ??= parameter;
  }
  return found;
}
