import { Logger } from '@nestjs/common';
import { isToken } from './header-values.js';
import type { SecurityRequest, SecurityScheme } from '../schemes/security-scheme.js';
import { Refusal } from './security-refusal.js';
import { SecurityHttpException } from './security.exception.js';

// Cross-site protection for credentials a browser sends by itself (cookies): an unsafe request that a page
// on another site makes the browser send is refused before any validator runs. See docs/cross-site.md.

/** Metadata key set by `@SkipCrossSiteCheck()`. */
export const SKIP_CROSS_SITE_METADATA = 'security-schemes:skip-cross-site';

/** The message of the 403 answered to an unsafe request from another site. */
export const CROSS_SITE_REFUSED = 'Cross-site request refused';
/** The message of the 403 answered when the double-submit token is missing or does not match. */
export const CSRF_TOKEN_REFUSED = 'Missing or invalid CSRF token';

/**
 * Checks a double-submit token: `csrf-csrf`'s `doubleCsrf({ ... })` result (its `validateRequest(req)` compares
 * the token header with the token cookie and checks its HMAC), or any object with the same method.
 */
export interface DoubleSubmitTokens {
  /** True when the request carries a valid token. Called with the platform's request (Express or Fastify). */
  validateRequest(request: any): boolean;
}

/** `crossSite` in `SecuritySchemesModule.forRoot(...)`. Omitted: on, with the defaults below. `false`: off. */
export interface CrossSiteOptions {
  /**
   * Origins besides the request's own whose pages may send unsafe requests with cookie credentials, as
   * `scheme://host[:port]`: `['https://app.example.com']`. They pass whether the browser says `same-site` or
   * `cross-site`. Default: none.
   */
  trustedOrigins?: readonly string[];
  /**
   * Also require a double-submit token on every unsafe request whose credentials come from a cookie, whatever
   * its headers say: `doubleCsrf({ getSecret, getSessionIdentifier })` from `csrf-csrf` (on Express with
   * `cookie-parser`, on Fastify with `@fastify/cookie`). Default: none.
   */
  doubleSubmit?: DoubleSubmitTokens;
  /** The header the token is sent in, for the OpenAPI document. Default `x-csrf-token` (csrf-csrf's). */
  tokenHeader?: string;
}

/**
 * Leaves the routes of a controller, or one handler, out of the cross-site check: for endpoints whose
 * cookie-carried credentials come from non-browser clients. Everything else about their security stays.
 */
export function SkipCrossSiteCheck(): ClassDecorator & MethodDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    Reflect.defineMetadata(SKIP_CROSS_SITE_METADATA, true, descriptor ? descriptor.value : target);
  };
}

/** The 403 of an unsafe request from another site. */
export function crossSiteRefused(): SecurityHttpException {
  return new SecurityHttpException(403, CROSS_SITE_REFUSED, {}, 'cross_site');
}

/** The 403 of an unsafe request without a valid double-submit token. */
export function csrfTokenRefused(): SecurityHttpException {
  return new SecurityHttpException(403, CSRF_TOKEN_REFUSED, {}, 'csrf_token_invalid');
}

/** Methods that pass: they must not change anything (RFC 9110 safe methods that Nest routes). */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Nest's `RequestMethod` values of those: a route with one of them is never checked. */
const SAFE_ROUTE_METHODS: ReadonlySet<number> = new Set([0 /* GET */, 6 /* OPTIONS */, 7 /* HEAD */]);
/** Nest's route method metadata key (`@nestjs/common/constants`). */
const NEST_METHOD_METADATA = 'method';

/** What the check reads: Express and Fastify requests both have `method`, `protocol` and `host`. */
type CheckedRequest = SecurityRequest & {
  method?: unknown;
  protocol?: unknown;
  host?: unknown;
  socket?: { encrypted?: boolean };
};

/** What the check reads of a compiled scheme (lib/core/registry/compiled-route.ts). */
export interface CookieCarrier {
  readonly scheme: SecurityScheme;
  /** Its credentials come from a cookie. */
  readonly fromCookie: boolean;
}

/**
 * The module's cross-site check, built once at start-up from the `crossSite` option; routes that need it
 * hold it (`CompiledRoute.crossSite`), the others hold nothing and pay nothing.
 */
export class CrossSiteCheck {
  private readonly logger = new Logger('SecurityGuard');
  private tokenCheckFailed = false;
  /** The same check for WebSocket handshakes (`forConnection`), made on first need. */
  private handshakeCheck: CrossSiteCheck | undefined;

  private constructor(
    /** Trusted origins, serialized as browsers send them in `Origin`. */
    readonly trustedOrigins: ReadonlySet<string>,
    readonly doubleSubmit: DoubleSubmitTokens | undefined,
    readonly tokenHeader: string,
    /**
     * It checks WebSocket handshakes: a GET that opens a connection the cookie credentials authenticate (a
     * page on another site can open one: cross-site WebSocket hijacking), without a double-submit token
     * (a browser cannot add a header to a handshake; it always sends `Origin`).
     */
    readonly handshake = false,
  ) {}

  /** Checks the `crossSite` option (a start-up error names what is wrong); undefined when it is `false`. */
  static fromOptions(options: unknown): CrossSiteCheck | undefined {
    if (options === false) return undefined;
    if (options === undefined || options === true) return new CrossSiteCheck(new Set(), undefined, 'x-csrf-token');
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new Error('SecuritySchemesModule: crossSite must be false (off) or { trustedOrigins?, doubleSubmit?, tokenHeader? }.');
    }
    const { trustedOrigins = [], doubleSubmit, tokenHeader = 'x-csrf-token' } = options as CrossSiteOptions;
    if (!Array.isArray(trustedOrigins)) {
      throw new Error('SecuritySchemesModule: crossSite.trustedOrigins must be a list of origins such as "https://app.example.com".');
    }
    const origins = new Set(trustedOrigins.map(toOrigin));
    if (doubleSubmit !== undefined && typeof (doubleSubmit as Partial<DoubleSubmitTokens> | null)?.validateRequest !== 'function') {
      throw new Error(
        'SecuritySchemesModule: crossSite.doubleSubmit must have a validateRequest(request) method, such as the result of ' +
          "csrf-csrf's doubleCsrf({ getSecret, getSessionIdentifier }).",
      );
    }
    if (typeof tokenHeader !== 'string' || !isToken(tokenHeader)) {
      throw new Error(`SecuritySchemesModule: crossSite.tokenHeader must be a header name, got ${JSON.stringify(tokenHeader)}.`);
    }
    return new CrossSiteCheck(origins, doubleSubmit, tokenHeader.toLowerCase());
  }

  /**
   * The check a route holds: this one when some alternative can be met by cookie-carried credentials, the
   * route's method can change something (not GET, HEAD or OPTIONS; routes of other transports have none),
   * and no `@SkipCrossSiteCheck()` applies (on the handler, its controller or a base class). Else undefined.
   */
  forRoute(controller: Function, handler: Function, alternatives: readonly { schemes: readonly CookieCarrier[] }[]): CrossSiteCheck | undefined {
    const method: unknown = Reflect.getMetadata(NEST_METHOD_METADATA, handler);
    if (typeof method !== 'number' || SAFE_ROUTE_METHODS.has(method)) return undefined;
    if (!alternatives.some(({ schemes }) => schemes.some((scheme) => scheme.fromCookie))) return undefined;
    if (Reflect.getMetadata(SKIP_CROSS_SITE_METADATA, handler) === true || Reflect.getMetadata(SKIP_CROSS_SITE_METADATA, controller) === true) {
      return undefined;
    }
    return this;
  }

  /**
   * The check a WebSocket gateway's connection holds: its handshake variant when some alternative of the
   * gateway's requirement can be met by cookie-carried credentials and no `@SkipCrossSiteCheck()` is on the
   * gateway class. Else undefined.
   */
  forConnection(gateway: Function, alternatives: readonly { schemes: readonly CookieCarrier[] }[]): CrossSiteCheck | undefined {
    if (!alternatives.some(({ schemes }) => schemes.some((scheme) => scheme.fromCookie))) return undefined;
    if (Reflect.getMetadata(SKIP_CROSS_SITE_METADATA, gateway) === true) return undefined;
    return (this.handshakeCheck ??= new CrossSiteCheck(this.trustedOrigins, undefined, this.tokenHeader, true));
  }

  /**
   * For one alternative of a route: its refusal when every credential sent to it comes from a cookie and the
   * request fails the check; undefined when it passes, or when some credential it was sent came another way
   * (a header or query credential is something a page on another site cannot make the browser send).
   */
  refusalFor(schemes: readonly CookieCarrier[], credentials: readonly unknown[], request: CheckedRequest): Refusal | undefined {
    let cookies: SecurityScheme[] | undefined;
    for (let i = 0; i < schemes.length; i++) {
      if (credentials[i] === null) continue;
      if (!schemes[i].fromCookie) return undefined;
      (cookies ??= []).push(schemes[i].scheme);
    }
    return cookies === undefined ? undefined : this.refusal(request, cookies);
  }

  /**
   * Refuses an unsafe request (anything but GET, HEAD, OPTIONS) whose cookie credentials `schemes` a page on
   * another site may have made the browser send; and, with `doubleSubmit`, one without a valid token.
   */
  refusal(request: CheckedRequest, schemes: readonly SecurityScheme[]): Refusal | undefined {
    if (!this.handshake) {
      const method = request.method;
      if (typeof method !== 'string' || SAFE_METHODS.has(method)) return undefined;
    }
    if (!this.fromTrustedPage(request)) return new Refusal(crossSiteRefused(), 'cross_site', schemes);
    if (this.doubleSubmit !== undefined && !this.tokenValid(request)) return new Refusal(csrfTokenRefused(), 'csrf_token_invalid', schemes);
    return undefined;
  }

  /**
   * Fetch Metadata first: `same-origin` and `none` (the user typed or bookmarked it) pass; `same-site` and
   * `cross-site` pass only from a trusted origin; any other value is refused. Without `Sec-Fetch-Site`, the
   * `Origin`: the request's own origin or a trusted one passes, `null` or another is refused, and neither
   * header at all is not a browser's request (or is a browser too old for both: see `doubleSubmit`).
   */
  private fromTrustedPage(request: CheckedRequest): boolean {
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    switch (site) {
      case 'same-origin':
      case 'none':
        return true;
      case 'same-site':
      case 'cross-site':
        return typeof origin === 'string' && this.trustedOrigins.has(origin);
      case undefined:
        break;
      default:
        return false; // an unknown value, or the header repeated
    }
    if (origin === undefined) return true;
    if (typeof origin !== 'string') return false;
    return isOwnOrigin(origin, request) || this.trustedOrigins.has(origin);
  }

  /** The double-submit check; a check that throws refuses (fail closed) and is reported once. */
  private tokenValid(request: CheckedRequest): boolean {
    try {
      return this.doubleSubmit!.validateRequest(request) === true;
    } catch (error) {
      if (!this.tokenCheckFailed) {
        this.tokenCheckFailed = true;
        const type = error instanceof Error ? error.name : typeof error;
        this.logger.error(
          `crossSite.doubleSubmit.validateRequest threw ${type}; the request is refused with 403. csrf-csrf reads ` +
            'request.cookies: register cookie-parser (Express) or @fastify/cookie (Fastify). (Said once.)',
        );
      }
      return false;
    }
  }
}

/** `scheme://host[:port]` as a browser sends it in `Origin` (lower case, no default port); a start-up error otherwise. */
function toOrigin(value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  const origin = url && (url.protocol === 'http:' || url.protocol === 'https:') ? url.origin : undefined;
  if (origin === undefined || (value as string).replace(/\/$/, '').toLowerCase() !== origin) {
    throw new Error(
      `SecuritySchemesModule: crossSite.trustedOrigins: ${JSON.stringify(value)} is not an origin; write it as ` +
        'scheme://host[:port] with no path, e.g. "https://app.example.com".',
    );
  }
  return origin;
}

/**
 * True when `origin` is the request's own: from the platform, Express's and Fastify's `protocol` and `host`
 * (they follow X-Forwarded-Proto and X-Forwarded-Host only when the application trusts its proxy). A
 * WebSocket handshake does not say its scheme: a page served over http or https from the same host is its own.
 */
function isOwnOrigin(origin: string, request: CheckedRequest): boolean {
  const host = typeof request.host === 'string' && request.host.length > 0 ? request.host : request.headers.host;
  if (typeof host !== 'string') return false;
  const lowered = origin.toLowerCase();
  const protocol = typeof request.protocol === 'string' ? request.protocol : request.socket?.encrypted ? 'https' : undefined;
  if (protocol !== undefined) return lowered === `${protocol}://${host}`.toLowerCase();
  return lowered === `http://${host}`.toLowerCase() || lowered === `https://${host}`.toLowerCase();
}
