import { HTTPAuthorizationCredentials } from '../../schemes/models.js';

/** How an access token came: `Authorization: Bearer`, `Authorization: DPoP` (RFC 9449 §7.1), or another auth-scheme. */
export interface PresentedToken {
  /** `bearer` also for a bare token (what `OAuth2PasswordBearer` extracts from `Bearer <token>`, or an API key scheme). */
  readonly scheme: 'bearer' | 'dpop' | 'other';
  /** The token, or undefined when empty or with white space in it (malformed). */
  readonly token: string | undefined;
}

/**
 * The token in what a scheme extracted, and the auth-scheme it came with: `{ scheme, credentials }` (`HTTPBearer`),
 * the raw `Authorization` header (`OpenIdConnect`, `OAuth2`, and the OAuth2 bearer schemes for `DPoP <token>`),
 * or a bare token.
 */
export function presentedToken(credentials: unknown): PresentedToken {
  let word: string | undefined;
  let token: unknown = credentials;
  if (credentials instanceof HTTPAuthorizationCredentials) {
    word = credentials.scheme.toLowerCase();
    token = credentials.credentials;
  } else if (typeof credentials === 'string') {
    const space = whitespaceIn(credentials);
    if (space >= 0) {
      word = credentials.slice(0, space).toLowerCase();
      token = credentials.slice(space + 1).trim();
    }
  }
  const scheme = word === undefined || word === 'bearer' ? 'bearer' : word === 'dpop' ? 'dpop' : 'other';
  const wellFormed = typeof token === 'string' && token !== '' && whitespaceIn(token) < 0;
  return { scheme, token: wellFormed ? (token as string) : undefined };
}

/** The first space or tab, or -1. */
function whitespaceIn(value: string): number {
  const space = value.indexOf(' ');
  const tab = value.indexOf('\t');
  return tab < 0 || (space >= 0 && space < tab) ? space : tab;
}
