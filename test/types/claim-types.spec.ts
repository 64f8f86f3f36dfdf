// Type tests: `npm run typecheck` checks this file. Each `@ts-expect-error` fails the type check if the
// error it expects disappears; the jest part only keeps the file in the suite.
import {
  equals,
  HTTPBearer,
  includes,
  oneOf,
  satisfies,
  Security,
  SecurityAll,
  SecuritySchemesModule,
  type ClaimChecks,
  type SecurityRefusal,
} from 'nestjs-security-schemes';

const bearer = new HTTPBearer();

Security(bearer, { scopes: ['read'], claims: { roles: includes('admin'), tid: equals('t1') } });
Security(bearer, ['read'], { claims: { tier: [oneOf('gold', 'silver'), satisfies((tier) => tier !== 'silver', 'is not silver')] } });
Security(bearer, { acrValues: ['urn:mfa'], maxAge: 300 });
SecurityAll({ scheme: bearer, claims: { verified: equals(true) }, maxAge: 60 });
const checks: ClaimChecks = { age: satisfies((age, claims) => typeof age === 'number' && claims.country === 'FR', 'is a number, in France') };
Security(bearer, { claims: checks });

// Never called: these lines would throw at run time too.
function refusedAtCompileTime() {
  // @ts-expect-error a claim check is made with a helper, not a bare value
  Security(bearer, { claims: { roles: 'admin' } });
  // @ts-expect-error includes() takes at least one value
  includes();
  // @ts-expect-error includes() matches strings
  includes(1);
  // @ts-expect-error equals() compares with a string, number or boolean
  equals({ admin: true });
  // @ts-expect-error satisfies() needs a description for the OpenAPI document and logs
  satisfies(() => true);
  // @ts-expect-error acrValues is a list
  Security(bearer, { acrValues: 'urn:mfa' });
  // @ts-expect-error maxAge is a number of seconds
  Security(bearer, { maxAge: '300' });
}
void refusedAtCompileTime;

SecuritySchemesModule.forRoot({
  schemes: [bearer],
  onRefusal: (refusal: SecurityRefusal) => {
    const reason: 'expired' | 'claim_failed' | string = refusal.reason;
    void [reason, refusal.status, refusal.schemes[0], refusal.handler, refusal.context.getType()];
  },
});
SecuritySchemesModule.forRoot({
  schemes: [bearer],
  // @ts-expect-error the hook receives a SecurityRefusal, whose reason is a RefusalReason
  onRefusal: (refusal: { reason: number }) => refusal,
});

describe('claim check and refusal hook types', () => {
  it('compile as the comments above say', () => undefined);
});
