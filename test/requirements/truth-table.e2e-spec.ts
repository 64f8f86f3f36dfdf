import { Controller, Get, type Type } from '@nestjs/common';
import {
  APIKeyCookie,
  APIKeyHeader,
  CurrentUser,
  HTTPBearer,
  Security,
  SecurityAll,
  SecurityScheme,
  SecuritySchemesModule,
  SkipSecurity,
  type SchemeRequirement,
  type SecurityRequirementInput,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { TokenValidator } from '../utils/tokens';

// The README's "Combining requirements" table: each form declared at each level, then levels combined.
// T = bearer token, K = API key, C = session cookie; Tx = a bearer token the validator rejects.

const bearer = new HTTPBearer();
const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
const cookie = new APIKeyCookie({ name: 'session' });

const REQUESTS = {
  none: {},
  K: { 'X-API-Key': 'key;' },
  T: { Authorization: 'Bearer tok;' },
  KT: { 'X-API-Key': 'key;', Authorization: 'Bearer tok;' },
  C: { Cookie: 'session=ses;' },
  KC: { 'X-API-Key': 'key;', Cookie: 'session=ses;' },
  Tx: { Authorization: 'Bearer rejected;' },
} satisfies Record<string, Record<string, string>>;
type Request = keyof typeof REQUESTS;

/** Who gets in: the principal's `sub` ('anonymous' for a null principal), or the status. */
type Outcomes = Record<Request, string | 401>;

type Level = 'default' | 'base' | 'controller' | 'handler';
type Form = 'one' | 'or' | 'and' | 'optional' | 'skip';
const LEVELS: Level[] = ['default', 'base', 'controller', 'handler'];

/** What each form declares; `skip` also needs `@Security(cookie)` on the levels before it. */
const DECLARATIONS: Record<Exclude<Form, 'skip'>, SecurityRequirementInput[]> = {
  one: [bearer],
  or: [bearer, apiKey],
  and: [[{ scheme: bearer }, { scheme: apiKey }]],
  optional: [{ scheme: bearer, optional: true }],
};

/** A form declared at one level, nothing elsewhere (skip: the cookie before it). */
const ONE_LEVEL: Record<Form, Outcomes> = {
  one: { none: 401, K: 401, T: 'tok', KT: 'tok', C: 401, KC: 401, Tx: 401 },
  or: { none: 401, K: 'key', T: 'tok', KT: 'tok', C: 401, KC: 'key', Tx: 401 },
  and: { none: 401, K: 401, T: 401, KT: 'tok', C: 401, KC: 401, Tx: 401 },
  optional: { none: 'anonymous', K: 'anonymous', T: 'tok', KT: 'tok', C: 'anonymous', KC: 'anonymous', Tx: 401 },
  skip: { none: 401, K: 'key', T: 401, KT: 'key', C: 401, KC: 'key', Tx: 401 },
};

type Declared = Form | 'key' | 'cookie' | 'optional-bearer';

interface Row {
  name: string;
  declared: Partial<Record<Level, Declared>>;
  outcomes: Outcomes;
}

const ROWS: Row[] = [
  ...LEVELS.flatMap((level) =>
    (['one', 'or', 'and', 'optional', 'skip'] as Form[])
      .filter((form) => !(form === 'skip' && level === 'default'))
      .map((form): Row => ({ name: `${form} at ${level}`, declared: { [level]: form }, outcomes: ONE_LEVEL[form] })),
  ),
  // Levels combine with AND: an inner level only narrows access.
  ...([
    ['default', 'base'],
    ['base', 'controller'],
    ['controller', 'handler'],
    ['default', 'handler'],
  ] as [Level, Level][]).map(([outer, inner]): Row => ({
    name: `T at ${outer}, K at ${inner}`,
    declared: { [outer]: 'one', [inner]: 'key' },
    outcomes: { none: 401, K: 401, T: 401, KT: 'tok', C: 401, KC: 401, Tx: 401 },
  })),
  {
    name: 'T or K at controller, optional T at handler',
    declared: { controller: 'or', handler: 'optional' },
    outcomes: { none: 401, K: 'key', T: 'tok', KT: 'tok', C: 401, KC: 'key', Tx: 401 },
  },
  {
    name: 'optional T at controller, K at handler',
    declared: { controller: 'optional-bearer', handler: 'key' },
    outcomes: { none: 401, K: 'key', T: 401, KT: 'tok', C: 401, KC: 'key', Tx: 401 },
  },
];

function declarationsOf(form: Declared): SecurityRequirementInput[] {
  if (form === 'key' || form === 'skip') return [apiKey];
  if (form === 'cookie') return [cookie];
  if (form === 'optional-bearer') return [{ scheme: bearer, optional: true }];
  return DECLARATIONS[form];
}

/** Applies what a level declares to a class or a handler, in the order written. */
function declare(target: object, form: Declared, method?: string) {
  const decorators: (ClassDecorator & MethodDecorator)[] = [];
  if (form === 'skip') decorators.push(SkipSecurity());
  for (const input of declarationsOf(form)) {
    if (Array.isArray(input)) decorators.push(SecurityAll(...(input as SchemeRequirement[])));
    else if (input instanceof SecurityScheme || typeof input === 'string') decorators.push(Security(input));
    else decorators.push(Security((input as SchemeRequirement).scheme, input as SchemeRequirement));
  }
  const [prototype, key] = method ? [target, method] : [undefined, undefined];
  // Decorators apply bottom-up, as TypeScript applies the ones written above a declaration.
  for (const decorator of decorators.reverse()) {
    if (prototype) decorator(prototype, key!, Object.getOwnPropertyDescriptor(prototype, key!)!);
    else (decorator as ClassDecorator)(target as Function);
  }
}

/** With a skip, every level before it requires the cookie (the module default too): skip must drop them all. */
function withSkippedLevels(row: Row): Partial<Record<Level, Declared>> {
  const skipAt = LEVELS.findIndex((level) => row.declared[level] === 'skip');
  if (skipAt < 0) return row.declared;
  return Object.fromEntries(LEVELS.map((level, i) => [level, i < skipAt ? 'cookie' : row.declared[level]]).filter(([, d]) => d));
}

/** A controller at `/row/<index>` whose levels declare what the row says. */
function controllerFor(row: Row, index: number): Type {
  const declared = withSkippedLevels(row);

  class Base {}
  class RowController extends Base {
    handle(user: unknown) {
      return { user: user === null ? 'anonymous' : (user as { sub: string }).sub };
    }
  }
  Object.defineProperty(RowController, 'name', { value: `Row${index}Controller` });
  for (const [level, target, method] of [
    ['base', Base],
    ['controller', RowController],
    ['handler', RowController.prototype, 'handle'],
  ] as [Level, object, string?][]) {
    if (declared[level]) declare(target, declared[level], method);
  }
  CurrentUser()(RowController.prototype, 'handle', 0);
  Get()(RowController.prototype, 'handle', Object.getOwnPropertyDescriptor(RowController.prototype, 'handle')!);
  Controller(`row/${index}`)(RowController);
  return RowController;
}

describe.each(PLATFORMS)('combining requirements: the truth table (%s)', (platform) => {
  // One app per module default: rows that declare at the default level each need their own.
  const groups = new Map<string, { rows: [Row, number][] }>();
  ROWS.forEach((row, index) => {
    const key = withSkippedLevels(row).default ?? 'none';
    if (!groups.has(key)) groups.set(key, { rows: [] });
    groups.get(key)!.rows.push([row, index]);
  });

  describe.each([...groups.keys()])('module default: %s', (defaultForm) => {
    let t: TestApp;
    const rows = groups.get(defaultForm)!.rows;

    beforeAll(async () => {
      const defaultSecurity = defaultForm === 'none' ? [] : declarationsOf(defaultForm as Declared);
      t = await createTestApp(platform, {
        imports: [
          SecuritySchemesModule.forRoot({
            schemes: [
              { scheme: bearer, validator: TokenValidator },
              { scheme: apiKey, validator: TokenValidator },
              { scheme: cookie, validator: TokenValidator },
            ],
            defaultSecurity,
          }),
        ],
        providers: [TokenValidator],
        controllers: rows.map(([row, index]) => controllerFor(row, index)),
      });
    });
    afterAll(() => t.close());

    it.each(rows.map(([row, index]) => [row.name, row, index] as const))('%s', async (_name, row, index) => {
      const answers: Partial<Outcomes> = {};
      for (const request of Object.keys(REQUESTS) as Request[]) {
        const response = await t.http.get(`/row/${index}`).set(REQUESTS[request]);
        answers[request] = response.status === 200 ? response.body.user : response.status;
      }
      expect(answers).toEqual(row.outcomes);
    });

    it('documents what it enforces', async () => {
      await expectAgreement(t, {
        credentials: {
          HTTPBearer: { headers: REQUESTS.T },
          APIKeyHeader: { headers: REQUESTS.K },
          APIKeyCookie: { cookies: { session: 'ses;' } },
        },
        isAnonymous: (response) => response.body.user === 'anonymous',
      });
    });
  });
});
