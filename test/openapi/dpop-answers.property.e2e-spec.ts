import type { Type } from '@nestjs/common';
import fc from 'fast-check';
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import {
  APIKeyHeader,
  HTTPBearer,
  jwkThumbprint,
  JwtValidator,
  OAuth2PasswordBearer,
  SecuritySchemesModule,
  type DPoPOptions,
} from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';
import { buildDocument } from '../utils/openapi';
import { createTestApp, type Platform, type TestApp } from '../utils/platforms';
import { routeController } from '../utils/routes';
import { expectDocumentedAnswers } from './documented-answers';
import { alternativeOf, CHECKS, claimsOf, declarationOf, encode, granted, keyValidator, rarely, type Entry, type Granted, type Level } from './random-declarations';

// The rule of answers.property.e2e-spec.ts (every answer the guard gives is one the document lists for the
// operation, with its WWW-Authenticate value and message) on routes whose schemes take DPoP-bound tokens
// (RFC 9449): random declarations (scopes, optional, claim checks, step-up) over a DPoP `allowed` scheme, a DPoP
// `required` one, a bearer scheme without DPoP and an API key; random requests with DPoP-bound tokens and locally
// signed proofs (valid, for another URL, missing), bound tokens sent as Bearer, unbound ones either way. A DPoP
// request lacking a scope, failing a claim check or a step-up requirement gets DPoP's form of the answer, which
// the document must list; the run must meet each of those forms.

const issuerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const forgerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const clientKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const clientJwk = clientKey.publicKey.export({ format: 'jwk' });
const JKT = jwkThumbprint(clientJwk as Record<string, unknown>)!;
const ORIGIN = 'http://api.test';

const dpopValidator = (mode: DPoPOptions['mode']) =>
  new JwtValidator({ key: issuerKey.publicKey, algorithms: ['RS256'], dpop: { mode, algorithms: ['ES256'], publicOrigin: ORIGIN } });
const SCHEMES = {
  /** DPoP allowed: Bearer or DPoP. */
  A: new HTTPBearer({ schemeName: 'A' }),
  /** DPoP required. */
  Q: new OAuth2PasswordBearer({ tokenUrl: 'token', schemeName: 'Q', scopes: { s1: 'One', s2: 'Two' } }),
  /** Bearer only. */
  P: new HTTPBearer({ schemeName: 'P' }),
  K: new APIKeyHeader({ name: 'X-K', schemeName: 'K' }),
};
type Name = keyof typeof SCHEMES;
const NAMES = Object.keys(SCHEMES) as Name[];


// ---- declarations ----

const entry: fc.Arbitrary<Entry<Name>> = fc.record(
  {
    scheme: fc.constantFrom<Name>('A', 'A', 'Q', 'Q', 'P', 'K'),
    scopes: fc.oneof(fc.constant([] as string[]), fc.subarray(['s1', 's2'])),
    optional: rarely(5),
    claims: fc.oneof(fc.constant([] as string[]), fc.subarray(Object.keys(CHECKS), { minLength: 1, maxLength: 1 })),
    acrValues: fc.constantFrom(undefined, undefined, ['urn:mfa'], ['urn:mfa', 'urn:hwk']),
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
const key: fc.Arbitrary<Key> = fc.oneof(fc.constant('absent' as const), fc.constant('absent' as const), fc.constant('refused' as const), granted);
/**
 * `dpop`: a bound token with a valid proof; `dpop-unbound`: an unbound token with a valid proof; `dpop-other-url`: a
 * proof made for another URL; `dpop-no-proof`: no DPoP header; `bearer`: an unbound token; `bearer-bound`: a bound
 * token sent as Bearer.
 */
type AuthorizationKind = 'dpop' | 'dpop-unbound' | 'dpop-other-url' | 'dpop-no-proof' | 'bearer' | 'bearer-bound';
type Authorization = { kind: 'none' | 'bearer-forged' } | { kind: AuthorizationKind; granted: Granted };
const authorization: fc.Arbitrary<Authorization> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('none', 'bearer-forged').map((kind) => ({ kind }) as Authorization) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constantFrom<AuthorizationKind>('dpop', 'dpop', 'dpop', 'dpop-unbound', 'dpop-other-url', 'dpop-no-proof', 'bearer', 'bearer', 'bearer-bound'),
      granted,
    }),
  },
);
interface Request {
  K: Key;
  authorization: Authorization;
}
const request: fc.Arbitrary<Request> = fc.record({ K: key, authorization });
const NOTHING: Request = { K: 'absent', authorization: { kind: 'none' } };

function accessToken(g: Granted, bound: boolean): string {
  const payload = { sub: 'token', iat: now(), exp: now() + 300, scope: g.scopes.join(' '), ...claimsOf(g), ...(bound && { cnf: { jkt: JKT } }) };
  return craftJws({ alg: 'RS256', typ: 'at+jwt' }, payload, issuerKey.privateKey);
}

/** A DPoP proof of the client key for GET `url` and `token` (RFC 9449 §4.2), signed here. */
function proof(url: string, token: string): string {
  const ath = createHash('sha256').update(token).digest('base64url');
  return craftJws({ alg: 'ES256', typ: 'dpop+jwt', jwk: clientJwk }, { htm: 'GET', htu: url, iat: now(), jti: randomUUID(), ath }, clientKey.privateKey);
}

function headersOf(r: Request, path: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (r.K !== 'absent') headers['X-K'] = r.K === 'refused' ? 'refused' : encode(r.K);
  const a = r.authorization;
  if (!('granted' in a)) {
    if (a.kind === 'bearer-forged') headers.Authorization = `Bearer ${craftJws({ alg: 'RS256', typ: 'at+jwt' }, { sub: 'x', exp: now() + 300 }, forgerKey.privateKey)}`;
    return headers;
  }
  const token = accessToken(a.granted, a.kind === 'dpop' || a.kind === 'dpop-other-url' || a.kind === 'dpop-no-proof' || a.kind === 'bearer-bound');
  if (a.kind === 'bearer' || a.kind === 'bearer-bound') {
    headers.Authorization = `Bearer ${token}`;
    return headers;
  }
  headers.Authorization = `DPoP ${token}`;
  if (a.kind !== 'dpop-no-proof') headers.DPoP = proof(`${ORIGIN}${a.kind === 'dpop-other-url' ? '/elsewhere' : path}`, token);
  return headers;
}

// ---- the check ----

interface Route {
  base: Level<Name>;
  controller: Level<Name>;
  handler: Level<Name>;
  requests: Request[];
}
const route: fc.Arbitrary<Route> = fc.record({ base: level, controller: level, handler: level, requests: fc.array(request, { minLength: 5, maxLength: 5 }) });

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
              { scheme: SCHEMES.A, validator: dpopValidator('allowed') },
              { scheme: SCHEMES.Q, validator: dpopValidator('required') },
              { scheme: SCHEMES.P, validator: new JwtValidator({ key: issuerKey.publicKey, algorithms: ['RS256'] }) },
              { scheme: SCHEMES.K, validator: keyValidator },
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

describe('every answer of the guard to DPoP and Bearer requests is one the document lists, for random routes and requests', () => {
  const defaults = fc.array(fc.array(entry, { minLength: 1, maxLength: 2 }), { maxLength: 1 });

  beforeEach(() => seen.clear());

  it.each([
    ['fastify', 20],
    ['express', 10],
  ] as [Platform, number][])('on %s: %i apps of 40 random routes, 6 requests each', async (platform, runs) => {
    await fc.assert(
      fc.asyncProperty(defaults, fc.array(route, { minLength: 40, maxLength: 40 }), (d, routes) => checkApp(platform, d, routes)),
      { numRuns: runs, endOnFailure: true },
    );
    // The run met each form: DPoP's (required mode), the DPoP request's and the Bearer request's in allowed mode,
    // Bearer's alone without DPoP; for a missing scope, a step-up requirement, and the proof's own refusals.
    const kinds = [...seen];
    for (const expected of [
      /^200 $/,
      /^403 DPoP error="insufficient_scope", scope="[^"]+", algs="ES256"$/,
      /^403 (Bearer, )?DPoP error="insufficient_scope", algs="ES256"$/,
      /^403 Bearer, DPoP error="insufficient_scope", scope="[^"]+", algs="ES256"$/,
      /^403 Bearer error="insufficient_scope", scope="[^"]+", DPoP algs="ES256"$/,
      /^403 Bearer error="insufficient_scope", scope="[^"]+"$/,
      /^401 DPoP error="insufficient_user_authentication", .*, algs="ES256"$/,
      /^401 Bearer, DPoP error="insufficient_user_authentication", .*, algs="ES256"$/,
      /^401 Bearer error="insufficient_user_authentication", .*, DPoP algs="ES256"$/,
      /^401 Bearer error="insufficient_user_authentication", [^D]*$/,
      /^401 DPoP error="invalid_dpop_proof", algs="ES256"$/,
      /^401 DPoP error="invalid_token", algs="ES256"$/,
      /^401 Bearer error="invalid_token", DPoP algs="ES256"$/,
    ]) {
      expect({ expected: String(expected), seen: kinds.some((kind) => expected.test(kind)) }).toEqual({ expected: String(expected), seen: true });
    }
  }, 180_000);
});
