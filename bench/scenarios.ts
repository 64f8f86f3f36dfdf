import { API_KEY, basicAuthorization, ITEMS_PATH, PASSWORD, signAccessToken, USERNAME } from './fixtures';

export type Platform = 'express' | 'fastify';

/** The Nest apps in bench/apps, by name. The server loads one per process. */
export type AppName = 'unguarded' | 'unguarded-again' | 'public' | 'api-key' | 'basic' | 'jwt' | 'or3' | 'passport-string' | 'passport-key' | 'login';

export interface Scenario {
  /** `<platform>/<app>`, the name `--only` matches. */
  id: string;
  /** The scenario's number in the issue ('1b' is an extra row). */
  number: string;
  title: string;
  platform: Platform;
  app: AppName;
  /** Scenario 8 runs a probe with and without a login flood instead of a plain load. */
  kind: 'load' | 'login';
}

const TITLES: Record<AppName, [number: string, title: string]> = {
  unguarded: ['1', 'unguarded route (baseline)'],
  'unguarded-again': ['1a', 'the same, another process (A/A noise check)'],
  public: ['1b', 'route without requirement, module loaded'],
  'api-key': ['2', 'APIKeyHeader, constant-time validator'],
  basic: ['3', 'HTTPBasic, constant-time validator'],
  jwt: ['4', 'OAuth2PasswordBearer + JWT + merged scopes'],
  or3: ['5', '3 alternatives, the last one succeeds'],
  'passport-string': ['6', 'anchor: passport bearer, string secret'],
  'passport-key': ['7', 'anchor: passport bearer, key object'],
  login: ['8', 'GET /users/me/items/ during 32 argon2 logins'],
};

const EXPRESS_ONLY: AppName[] = ['passport-string', 'passport-key'];

/** Every scenario, in the order of a round: Express first, then Fastify. */
export const SCENARIOS: Scenario[] = (['express', 'fastify'] as Platform[]).flatMap((platform) =>
  (Object.keys(TITLES) as AppName[])
    .filter((app) => platform === 'express' || !EXPRESS_ONLY.includes(app))
    .map((app) => ({
      id: `${platform}/${app}`,
      number: TITLES[app][0],
      title: TITLES[app][1],
      platform,
      app,
      kind: app === 'login' ? ('login' as const) : ('load' as const),
    })),
);

export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** The authenticated request each app serves with 200 and the items body. */
export function requestFor(app: AppName): BenchRequest {
  const get = (headers: Record<string, string> = {}): BenchRequest => ({ method: 'GET', path: ITEMS_PATH, headers });
  switch (app) {
    case 'unguarded':
    case 'unguarded-again':
    case 'public':
      return get();
    case 'api-key':
    case 'or3':
      return get({ 'x-api-key': API_KEY });
    case 'basic':
      return get({ authorization: basicAuthorization() });
    case 'jwt':
    case 'login':
    case 'passport-string':
    case 'passport-key':
      return get({ authorization: `Bearer ${signAccessToken()}` });
  }
}

/** Scenario 8's flood: the OAuth2 password form, with the right password. */
export const LOGIN_REQUEST: BenchRequest = {
  method: 'POST',
  path: '/token',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'password', username: USERNAME, password: PASSWORD, scope: 'me items' }).toString(),
};

/** The apps whose route must refuse a request without credentials. */
export function isGuarded(app: AppName): boolean {
  return app !== 'unguarded' && app !== 'unguarded-again' && app !== 'public';
}
