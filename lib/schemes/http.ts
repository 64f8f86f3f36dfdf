import { HTTPAuthorizationCredentials, HTTPBasicCredentials } from './models.js';
import { authorizationCredentials, checkHeaderText, isToken, quoteString, titleCase } from '../core/header-values.js';
import type { ResponseHeaders } from '../core/security.exception.js';
import {
  definedOnly,
  SecurityScheme,
  type KnownScopesOptions,
  type SecurityRequest,
  type SecuritySchemeObject,
  type SecuritySchemeOptions,
} from './security-scheme.js';

export interface HTTPBaseOptions extends SecuritySchemeOptions, KnownScopesOptions {
  /** The auth-scheme word of the `Authorization` header, e.g. `bearer`. */
  scheme: string;
}

/**
 * `Authorization: <scheme> <credentials>` for any HTTP auth scheme. The scheme word matches
 * case-insensitively; a different word or empty credentials count as missing.
 */
export class HTTPBase extends SecurityScheme<HTTPAuthorizationCredentials> {
  readonly scheme: string;
  private readonly schemeLower: string;
  private readonly challenge: string;

  constructor(options: HTTPBaseOptions) {
    super(options);
    if (typeof options?.scheme !== 'string' || !isToken(options.scheme)) {
      throw new Error(`${new.target.name}: "scheme" must be an HTTP auth-scheme token, got ${JSON.stringify(options?.scheme)}.`);
    }
    this.scheme = options.scheme;
    this.schemeLower = options.scheme.toLowerCase();
    this.challenge = titleCase(options.scheme);
    this.declareScopes(options.scopes);
  }

  extract(request: SecurityRequest): HTTPAuthorizationCredentials | null {
    const header = request.headers.authorization;
    const credentials = authorizationCredentials(header, this.schemeLower);
    if (!credentials) return this.dpopChallenge === undefined ? null : dpopCredentials(header);
    return new HTTPAuthorizationCredentials((header as string).slice(0, this.schemeLower.length), credentials);
  }

  makeAuthenticateHeaders(): ResponseHeaders {
    return { 'WWW-Authenticate': this.dpopChallenge ?? this.challenge };
  }

  protected override carriesBearerTokens(): boolean {
    return this.schemeLower === 'bearer';
  }

  toOpenAPI(): SecuritySchemeObject {
    return definedOnly({ type: 'http', scheme: this.scheme, description: this.description });
  }
}

/** `Authorization: DPoP <token>` (RFC 9449 §7.1), for a bearer scheme whose validator takes DPoP-bound tokens. */
function dpopCredentials(header: string | string[] | undefined): HTTPAuthorizationCredentials | null {
  const token = authorizationCredentials(header, 'dpop');
  return token ? new HTTPAuthorizationCredentials((header as string).slice(0, 4), token) : null;
}

export interface HTTPBearerOptions extends SecuritySchemeOptions, KnownScopesOptions {
  /** A hint for OpenAPI, e.g. `JWT`. */
  bearerFormat?: string;
}

/** `Authorization: Bearer <token>`, yielding `{ scheme, credentials }`. */
export class HTTPBearer extends HTTPBase {
  readonly bearerFormat?: string;

  constructor(options: HTTPBearerOptions = {}) {
    super({ ...options, scheme: 'bearer' });
    this.bearerFormat = options.bearerFormat;
  }

  override toOpenAPI(): SecuritySchemeObject {
    return definedOnly({ ...super.toOpenAPI(), bearerFormat: this.bearerFormat });
  }
}

/**
 * `Authorization: Digest <params>`, yielding `{ scheme, credentials }`. Like FastAPI's, this only
 * extracts the header: verify the digest in a validator.
 */
export class HTTPDigest extends HTTPBase {
  constructor(options: SecuritySchemeOptions & KnownScopesOptions = {}) {
    super({ ...options, scheme: 'digest' });
  }
}

export interface HTTPBasicOptions extends SecuritySchemeOptions, KnownScopesOptions {
  /** Sent as `WWW-Authenticate: Basic realm="<realm>"`, escaped as a quoted-string. Printable ASCII only. */
  realm?: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `Authorization: Basic <base64(username:password)>`, yielding `{ username, password }`.
 * A malformed payload is a 401 even with `autoError: false`. User names and passwords may be UTF-8 (RFC 7617).
 */
export class HTTPBasic extends SecurityScheme<HTTPBasicCredentials> {
  readonly realm?: string;
  private readonly challenge: string;

  constructor(options: HTTPBasicOptions = {}) {
    super(options);
    if (options.realm !== undefined) checkHeaderText(new.target.name, 'realm', options.realm);
    this.realm = options.realm;
    this.challenge = options.realm ? `Basic realm=${quoteString(options.realm)}` : 'Basic';
    this.declareScopes(options.scopes);
  }

  extract(request: SecurityRequest): HTTPBasicCredentials | null {
    const encoded = authorizationCredentials(request.headers.authorization, 'basic');
    if (encoded === null) return null;
    const decoded = decodeBase64Utf8(encoded);
    const colon = decoded === null ? -1 : decoded.indexOf(':');
    if (colon < 0) throw this.makeNotAuthenticatedError();
    return new HTTPBasicCredentials(decoded!.slice(0, colon), decoded!.slice(colon + 1));
  }

  makeAuthenticateHeaders(): ResponseHeaders {
    return { 'WWW-Authenticate': this.challenge };
  }

  toOpenAPI(): SecuritySchemeObject {
    return definedOnly({ type: 'http', scheme: 'basic', description: this.description });
  }
}

function decodeBase64Utf8(value: string): string | null {
  if (!BASE64.test(value)) return null;
  try {
    return UTF8.decode(Buffer.from(value, 'base64'));
  } catch {
    return null;
  }
}
