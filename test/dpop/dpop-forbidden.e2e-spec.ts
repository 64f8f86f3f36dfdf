import { Controller, Get, Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { generateKeyPairSync } from 'node:crypto';
import {
  HTTPBearer,
  includes,
  JwtValidator,
  OAuth2ClientCredentialsBearer,
  Security,
  SecuritySchemesModule,
  type DPoPOptions,
  type RefusalReason,
} from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';
import { API_AUDIENCE, TestProvider } from '../oidc/provider';
import { NOT_ENOUGH_PERMISSIONS, outcome, type Outcome } from '../utils/auth';
import { buildDocument } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { DPoPClient } from './dpop-client';

// The answers after a DPoP-bound token was accepted (RFC 9449 §7.1): a missing scope or a failed claim check (403
// insufficient_scope) and a step-up requirement not met (401 insufficient_user_authentication, RFC 9470) carry
// their error on DPoP's challenge, with algs, when the request used DPoP; in allowed mode the error goes with the
// scheme the request used and both challenges are offered. The document lists each form on the routes whose
// scheme takes DPoP. Tokens from a real oidc-provider, then locally signed ones; proofs made by jose.

const HOST = 'api.test';
const ALGS = 'algs="ES256 PS256"';
const algorithms = ['ES256', 'PS256'] as const;
const forbidden = (challenge: string): Outcome => ({ status: 403, body: NOT_ENOUGH_PERMISSIONS, challenge });
const INSUFFICIENT_AUTH = { statusCode: 401, message: 'Insufficient user authentication', error: 'Unauthorized' };
const stepUp = (challenge: string): Outcome => ({ status: 401, body: INSUFFICIENT_AUTH, challenge });
const MFA = 'error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:mfa"';

/** The `WWW-Authenticate` values the document lists for one operation's status. */
function documentedChallenges(document: OpenAPIObject, path: string, status: number): unknown {
  const operation = document.paths[path].get as unknown as { responses: Record<string, { headers?: Record<string, { schema?: { enum?: unknown[] } }> }> };
  return operation.responses[String(status)]?.headers?.['WWW-Authenticate']?.schema?.enum;
}

describe.each(PLATFORMS)('403 and step-up answers to DPoP requests (%s)', (platform) => {
  let client: DPoPClient;

  beforeAll(async () => {
    client = await DPoPClient.start();
    await client.key('client');
  });
  afterAll(async () => {
    await client?.stop();
  });

  /** Sends `Authorization: <authorization>` to `path`, with a new proof of the client key when it is a DPoP one. */
  const call = async (t: TestApp, path: string, authorization: string): Promise<Outcome> => {
    let request = t.http.get(path).set('Host', HOST).set('Authorization', authorization);
    const [scheme, token] = authorization.split(' ');
    if (scheme === 'DPoP') request = request.set('DPoP', await client.proof('client', { htm: 'GET', htu: `http://${HOST}${path}`, accessToken: token }));
    return outcome(await request);
  };

  describe('tokens of a real OpenID provider, granted scope "read" only', () => {
    let provider: TestProvider;
    let t: TestApp;
    let bound: string;
    let unbound: string;
    const reasons: RefusalReason[] = [];

    beforeAll(async () => {
      provider = await TestProvider.start([], { dpop: true });
      [bound, unbound] = await Promise.all([
        provider.dpopBoundToken(await client.proof('client', { htm: 'POST', htu: provider.tokenEndpoint }), 'machine', 'read'),
        provider.clientCredentialsToken('machine', 'read'),
      ]);
      const jwt = (dpop?: DPoPOptions) => new JwtValidator({ issuer: provider.issuer, audience: API_AUDIENCE, algorithms: ['RS256'], typ: 'at+jwt', dpop });
      const required = new HTTPBearer({ schemeName: 'required' });
      const allowed = new OAuth2ClientCredentialsBearer({ schemeName: 'allowed', tokenUrl: provider.tokenEndpoint, scopes: { read: 'Read.', write: 'Write.' } });
      const plain = new HTTPBearer({ schemeName: 'plain' });

      @Controller()
      class ApiController {
        @Security(required, ['write'])
        @Get('required')
        required() {
          return {};
        }

        @Security(allowed, ['read', 'write'])
        @Get('allowed')
        allowed() {
          return {};
        }

        @Security(plain, ['write'])
        @Get('plain')
        plain() {
          return {};
        }
      }

      t = await createTestApp(platform, {
        imports: [
          SecuritySchemesModule.forRoot({
            schemes: [
              { scheme: required, validator: jwt({ mode: 'required', algorithms: [...algorithms] }) },
              { scheme: allowed, validator: jwt({ mode: 'allowed', algorithms: [...algorithms] }) },
              { scheme: plain, validator: jwt() },
            ],
            onRefusal: (refusal) => reasons.push(refusal.reason),
          }),
        ],
        controllers: [ApiController],
      });
    });
    afterAll(async () => {
      await t?.close();
      await provider?.stop();
    });

    it('required mode: a DPoP-bound token lacking a scope gets 403 with DPoP\'s challenge, the error and algs', async () => {
      reasons.length = 0;
      expect(await call(t, '/required', `DPoP ${bound}`)).toEqual(forbidden(`DPoP error="insufficient_scope", scope="write", ${ALGS}`));
      expect(reasons).toEqual(['scope_missing']);
    });

    it('allowed mode: the error goes with the scheme the request used, both challenges offered', async () => {
      expect(await call(t, '/allowed', `DPoP ${bound}`)).toEqual(forbidden(`Bearer, DPoP error="insufficient_scope", scope="read write", ${ALGS}`));
      expect(await call(t, '/allowed', `Bearer ${unbound}`)).toEqual(forbidden(`Bearer error="insufficient_scope", scope="read write", DPoP ${ALGS}`));
    });

    it('without dpop the answer is Bearer\'s, as before', async () => {
      expect(await call(t, '/plain', `Bearer ${unbound}`)).toEqual(forbidden('Bearer error="insufficient_scope", scope="write"'));
    });

    it('the document lists those forms of the 403, and only DPoP\'s in required mode', () => {
      const document = buildDocument(t.app);
      expect(documentedChallenges(document, '/required', 403)).toEqual([`DPoP error="insufficient_scope", scope="write", ${ALGS}`]);
      expect(documentedChallenges(document, '/allowed', 403)).toEqual([
        `Bearer error="insufficient_scope", scope="read write", DPoP ${ALGS}`,
        `Bearer, DPoP error="insufficient_scope", scope="read write", ${ALGS}`,
      ]);
      expect(documentedChallenges(document, '/plain', 403)).toEqual(['Bearer error="insufficient_scope", scope="write"']);
    });
  });

  describe('claim checks, step-up, and a validator given as a provider class', () => {
    const issuerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    let t: TestApp;
    let jkt: string;
    const token = (claims: Record<string, unknown>, bind = true) =>
      craftJws({ alg: 'RS256', typ: 'at+jwt' }, { sub: 'alice', iat: now(), exp: now() + 300, ...claims, ...(bind && { cnf: { jkt } }) }, issuerKey.privateKey);
    const validator = (mode: DPoPOptions['mode']) => new JwtValidator({ key: issuerKey.publicKey, algorithms: ['RS256'], dpop: { mode, algorithms: [...algorithms] } });

    /** Resolved by the module at init, after the routes are compiled: its scheme learns of DPoP then. */
    @Injectable()
    class ProvidedValidator extends JwtValidator {
      constructor() {
        super({ key: issuerKey.publicKey, algorithms: ['RS256'], dpop: { mode: 'required', algorithms: [...algorithms] } });
      }
    }

    beforeAll(async () => {
      jkt = (await client.key('client')).thumbprint;
      const required = new HTTPBearer({ schemeName: 'required' });
      const allowed = new HTTPBearer({ schemeName: 'allowed' });
      const provided = new HTTPBearer({ schemeName: 'provided' });

      @Controller()
      class ApiController {
        @Security(required, { scopes: ['read'], claims: { roles: includes('admin') } })
        @Get('required/admin')
        requiredAdmin() {
          return {};
        }

        @Security(required, { claims: { roles: includes('admin') } })
        @Get('required/admin-only')
        requiredAdminOnly() {
          return {};
        }

        @Security(required, { acrValues: ['urn:mfa'] })
        @Get('required/mfa')
        requiredMfa() {
          return {};
        }

        @Security(allowed, { acrValues: ['urn:mfa'] })
        @Get('allowed/mfa')
        allowedMfa() {
          return {};
        }

        @Security(provided, ['write'])
        @Get('provided')
        provided() {
          return {};
        }
      }

      t = await createTestApp(platform, {
        imports: [
          SecuritySchemesModule.forRoot({
            schemes: [
              { scheme: required, validator: validator('required') },
              { scheme: allowed, validator: validator('allowed') },
              { scheme: provided, validator: ProvidedValidator },
            ],
          }),
        ],
        controllers: [ApiController],
        providers: [ProvidedValidator],
      });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('a failed claim check on a DPoP request: 403 on DPoP\'s challenge, with the route\'s scopes if any', async () => {
      const user = token({ scope: 'read', roles: ['user'] });
      expect(await call(t, '/required/admin', `DPoP ${user}`)).toEqual(forbidden(`DPoP error="insufficient_scope", scope="read", ${ALGS}`));
      expect(await call(t, '/required/admin-only', `DPoP ${user}`)).toEqual(forbidden(`DPoP error="insufficient_scope", ${ALGS}`));
    });

    it('a step-up requirement not met on a DPoP request: 401 insufficient_user_authentication on DPoP\'s challenge', async () => {
      expect(await call(t, '/required/mfa', `DPoP ${token({ acr: 'urn:pwd' })}`)).toEqual(stepUp(`DPoP ${MFA}, ${ALGS}`));
      expect(await call(t, '/allowed/mfa', `DPoP ${token({ acr: 'urn:pwd' })}`)).toEqual(stepUp(`Bearer, DPoP ${MFA}, ${ALGS}`));
      expect(await call(t, '/allowed/mfa', `Bearer ${token({ acr: 'urn:pwd' }, false)}`)).toEqual(stepUp(`Bearer ${MFA}, DPoP ${ALGS}`));
    });

    it('a validator given as a provider class (its scheme told of DPoP at init, after the routes were compiled)', async () => {
      expect(await call(t, '/provided', `DPoP ${token({ scope: 'read' })}`)).toEqual(forbidden(`DPoP error="insufficient_scope", scope="write", ${ALGS}`));
    });

    it('the document lists the DPoP forms of the claim check\'s 403 and of the step-up 401', () => {
      const document = buildDocument(t.app);
      expect(documentedChallenges(document, '/required/admin', 403)).toEqual([`DPoP error="insufficient_scope", scope="read", ${ALGS}`]);
      expect(documentedChallenges(document, '/required/admin-only', 403)).toEqual([`DPoP error="insufficient_scope", ${ALGS}`]);
      expect(documentedChallenges(document, '/required/mfa', 401)).toContain(`DPoP ${MFA}, ${ALGS}`);
      expect(documentedChallenges(document, '/allowed/mfa', 401)).toEqual(
        expect.arrayContaining([`Bearer ${MFA}, DPoP ${ALGS}`, `Bearer, DPoP ${MFA}, ${ALGS}`]),
      );
      expect(documentedChallenges(document, '/required/mfa', 401)).not.toContain(`Bearer ${MFA}`);
    });
  });
});
