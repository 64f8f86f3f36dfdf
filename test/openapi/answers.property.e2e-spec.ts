import type { Type } from '@nestjs/common';
import fc from 'fast-check';
import { sign } from 'jsonwebtoken';
import {
  APIKeyCookie,
  APIKeyHeader,
  grant,
  HTTPBasic,
  JwtValidator,
  OAuth2PasswordBearer,
  SecuritySchemesModule,
  type HTTPBasicCredentials,
  type ResponseHeaders,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { buildDocument } from '../utils/openapi';
import { createTestApp, type Platform, type TestApp } from '../utils/platforms';
import { routeController } from '../utils/routes';
import { expectDocumentedAnswers } from './documented-answers';
import { alternativeOf, CHECKS, claimsOf, declarationOf, decode, encode, granted, keyValidator, rarely, type Entry, type Granted, type Level } from './random-declarations';

// For random declarations at every level (scopes, optional, claim checks, step-up) and random requests
// (credentials absent, refused, malformed, or granting random scopes and claims), every answer the guard
// gives is one the document lists for that operation: its status is documented, its WWW-Authenticate
// value is one the document gives for that status, its message one of the body's. A request without
// credentials gets the challenge the document shows as the example.

/** An API key scheme whose challenge is not `APIKey`, so that the AND and OR cases can tell schemes apart. */
class RealmKey extends APIKeyHeader {
  override makeAuthenticateHeaders(): ResponseHeaders {
    return { 'WWW-Authenticate': 'Key realm="r"' };
  }
}

const SECRET = 'the-property-test-secret-32-bytes!';
const SCHEMES = {
  K: new APIKeyHeader({ name: 'X-K', schemeName: 'K' }),
  R: new RealmKey({ name: 'X-R', schemeName: 'R' }),
  B: new OAuth2PasswordBearer({ tokenUrl: 'token', schemeName: 'B', scopes: { s1: 'One', s2: 'Two' } }),
  U: new HTTPBasic({ realm: 'u', schemeName: 'U' }),
  O: new APIKeyCookie({ name: 'o', schemeName: 'O', autoError: false }),
};
type Name = keyof typeof SCHEMES;
const NAMES = Object.keys(SCHEMES) as Name[];


/** Basic: user `ok.<granted>` with password `pw`. */
const basicValidator: SecurityValidator<HTTPBasicCredentials> = {
  validate({ username, password }) {
    const granted = password === 'pw' ? decode(username) : undefined;
    return granted ? grant({ sub: 'user' }, { scopes: granted.scopes, claims: claimsOf(granted) }) : null;
  },
};

// ---- declarations ----

const entry: fc.Arbitrary<Entry<Name>> = fc.record(
  {
    scheme: fc.constantFrom(...NAMES),
    scopes: fc.subarray(['s1', 's2']),
    optional: rarely(4),
    claims: fc.oneof(fc.constant([] as string[]), fc.constant([] as string[]), fc.subarray(Object.keys(CHECKS), { maxLength: 1 })),
    acrValues: fc.constantFrom(undefined, undefined, undefined, ['urn:mfa'], ['urn:mfa', 'urn:hwk']),
    maxAge: fc.constantFrom(undefined, undefined, undefined, 300),
  },
  { requiredKeys: ['scheme', 'scopes', 'optional', 'claims'] },
);
const alternatives = fc.array(fc.array(entry, { minLength: 1, maxLength: 2 }), { maxLength: 2 });
const level: fc.Arbitrary<Level<Name>> = fc.record({ alternatives, skip: rarely(5) });

const toDeclaration = declarationOf(SCHEMES);
const toAlternative = alternativeOf(SCHEMES);

// ---- requests ----

type Key = 'absent' | 'refused' | Granted;
const key: fc.Arbitrary<Key> = fc.oneof(fc.constant('absent' as const), fc.constant('refused' as const), granted);
type Authorization =
  | { kind: 'none' | 'bearer-forged' | 'bearer-malformed' | 'basic-wrong' | 'basic-malformed' }
  | { kind: 'bearer' | 'basic'; granted: Granted };
const authorization: fc.Arbitrary<Authorization> = fc.oneof(
  fc.constantFrom('none', 'none', 'bearer-forged', 'bearer-malformed', 'basic-wrong', 'basic-malformed').map((kind) => ({ kind }) as Authorization),
  fc.record({ kind: fc.constantFrom('bearer' as const, 'basic' as const), granted }),
);
interface Request {
  K: Key;
  R: Key;
  O: Key;
  authorization: Authorization;
}
const request: fc.Arbitrary<Request> = fc.record({ K: key, R: key, O: key, authorization });
const NOTHING: Request = { K: 'absent', R: 'absent', O: 'absent', authorization: { kind: 'none' } };

function jwt(g: Granted, secret = SECRET): string {
  return sign({ sub: 'token', scope: g.scopes.join(' '), ...claimsOf(g) }, secret, { algorithm: 'HS256', expiresIn: 300 });
}

function headersOf(r: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  const keyValue = (k: Key) => (k === 'refused' ? 'refused' : encode(k as Granted));
  if (r.K !== 'absent') headers['X-K'] = keyValue(r.K);
  if (r.R !== 'absent') headers['X-R'] = keyValue(r.R);
  if (r.O !== 'absent') headers.Cookie = `o=${keyValue(r.O)}`;
  const a = r.authorization;
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  if (a.kind === 'bearer') headers.Authorization = `Bearer ${jwt(a.granted)}`;
  if (a.kind === 'bearer-forged') headers.Authorization = `Bearer ${jwt({ scopes: ['s1', 's2'], roles: ['r1'], tid: 't1' }, 'another-secret-of-32-bytes-at-least')}`;
  if (a.kind === 'bearer-malformed') headers.Authorization = 'Bearer not-a-jwt';
  if (a.kind === 'basic') headers.Authorization = basic(encode(a.granted), 'pw');
  if (a.kind === 'basic-wrong') headers.Authorization = basic(encode({ scopes: ['s1', 's2'], roles: ['r1'], tid: 't1' }), 'wrong');
  if (a.kind === 'basic-malformed') headers.Authorization = 'Basic ***';
  return headers;
}

// ---- the check ----

interface Route {
  base: Level<Name>;
  controller: Level<Name>;
  handler: Level<Name>;
  requests: Request[];
}
const route: fc.Arbitrary<Route> = fc.record({ base: level, controller: level, handler: level, requests: fc.array(request, { minLength: 4, maxLength: 4 }) });

/** Starts the app; a route whose form the library refuses at start-up (over 32 alternatives) is left out. */
async function startApp(platform: Platform, defaults: Entry<Name>[][], routes: Route[]): Promise<{ t: TestApp; kept: number[] }> {
  const kept = routes.map((_r, i) => i);
  for (;;) {
    const controllers: Type[] = kept.map((i) =>
      routeController(`p/${i}`, `Route${i}Controller`, {
        base: toDeclaration(routes[i].base),
        controller: toDeclaration(routes[i].controller),
        handler: toDeclaration(routes[i].handler),
      }),
    );
    try {
      const t = await createTestApp(platform, {
        imports: [
          SecuritySchemesModule.forRoot({
            schemes: [
              { scheme: SCHEMES.K, validator: keyValidator },
              { scheme: SCHEMES.R, validator: keyValidator },
              { scheme: SCHEMES.B, validator: new JwtValidator({ key: SECRET, algorithms: ['HS256'] }) },
              { scheme: SCHEMES.U, validator: basicValidator },
              { scheme: SCHEMES.O, validator: keyValidator },
            ],
            defaultSecurity: defaults.map(toAlternative),
          }),
        ],
        controllers,
      });
      return { t, kept };
    } catch (error) {
      const tooLarge = /^Route(\d+)Controller\.handle: .*alternatives/.exec((error as Error).message);
      if (!tooLarge) throw error;
      kept.splice(kept.indexOf(Number(tooLarge[1])), 1);
    }
  }
}

/** Every answer seen, `<status> <challenge>`, to check that the run covered each kind of refusal. */
const seen = new Set<string>();

async function checkApp(platform: Platform, defaults: Entry<Name>[][], routes: Route[]): Promise<void> {
  const { t, kept } = await startApp(platform, defaults, routes);
  try {
    const requestsOf = (i: number) => routes[i].requests;
    await expectDocumentedAnswers(t, platform, buildDocument(t.app), { kept, requestsOf, nothing: NOTHING }, headersOf, seen);
  } finally {
    await t.close();
  }
}

describe('every answer of the guard is one the document lists, for random routes and requests', () => {
  const defaults = fc.array(fc.array(entry, { minLength: 1, maxLength: 2 }), { maxLength: 1 });

  beforeEach(() => seen.clear());

  it.each([
    ['fastify', 20],
    ['express', 6],
  ] as [Platform, number][])('on %s: %i apps of 60 random routes, 5 requests each', async (platform, runs) => {
    await fc.assert(
      fc.asyncProperty(defaults, fc.array(route, { minLength: 60, maxLength: 60 }), (d, routes) => checkApp(platform, d, routes)),
      { numRuns: runs, endOnFailure: true },
    );
    // The run met every kind of answer: combined and single challenges, each scheme's refusal, the token
    // validator's, step-up, missing scopes and failed claim checks.
    const kinds = [...seen];
    for (const expected of [
      /^200 $/,
      /^401 APIKey$/,
      /^401 Key realm="r"$/,
      /^401 Basic realm="u"$/,
      /^401 Bearer$/,
      /^401 [^,]+, [^,]+/,
      /^401 Bearer error="invalid_token"$/,
      /^401 Bearer error="insufficient_user_authentication", error_description="A different/,
      /^401 Bearer error="insufficient_user_authentication", error_description="More recent/,
      /^403 Bearer error="insufficient_scope", scope="s1 s2"$/,
    ]) {
      expect({ expected: String(expected), seen: kinds.some((kind) => expected.test(kind)) }).toEqual({ expected: String(expected), seen: true });
    }
  }, 180_000);
});
