// Type tests: `npm run typecheck` checks this file. Each `@ts-expect-error` fails the type check if the
// error it expects disappears; the jest part only keeps the file in the suite.
import { HTTPBearer, IntrospectionValidator, MultiIssuerValidator, SecuritySchemesModule, type TrustedIssuer } from 'nestjs-security-schemes';

const introspection = { clientId: 'api', clientSecret: 'secret' };
const issuers: TrustedIssuer[] = [
  { issuer: 'https://a.test', audience: 'api', algorithms: ['RS256'] },
  { issuer: 'https://b.test', introspection },
  { issuer: 'https://c.test', audience: 'api', algorithms: ['ES256'], scopes: 'scp', introspection },
];
const multi = new MultiIssuerValidator({ issuers, opaqueTokenIssuer: 'https://b.test', toPrincipal: (claims) => ({ id: String(claims.sub), issuer: claims.iss }) });
SecuritySchemesModule.forRoot({ schemes: [{ scheme: new HTTPBearer(), validator: multi }] });
SecuritySchemesModule.forRoot({ schemes: [{ scheme: new HTTPBearer(), validator: new IntrospectionValidator({ issuer: 'https://b.test', ...introspection }) }] });

// Never called: these lines would throw at run time too.
function refusedAtCompileTime() {
  // @ts-expect-error an issuer needs algorithms (JWTs) or introspection (opaque tokens)
  new MultiIssuerValidator({ issuers: [{ issuer: 'https://a.test', audience: 'api' }] });
  // @ts-expect-error an introspected issuer reads its scopes as introspection.scopes says
  new MultiIssuerValidator({ issuers: [{ issuer: 'https://b.test', introspection, scopes: 'scp' }] });
  // @ts-expect-error the API authenticates to the introspection endpoint
  new IntrospectionValidator({ issuer: 'https://b.test', clientId: 'api' });
  // @ts-expect-error resolveIssuer answers settings, not a boolean
  new MultiIssuerValidator({ resolveIssuer: () => true });
}

it('type-checks', () => {
  expect(typeof refusedAtCompileTime).toBe('function');
});
