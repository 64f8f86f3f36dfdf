import type { Type } from '@nestjs/common';
import { APIKeyCookie, APIKeyHeader, HTTPBearer, SecuritySchemesModule } from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { routeController, type Alternative, type LevelDeclaration } from '../utils/routes';
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

/** What each form declares. */
const DECLARATIONS: Record<Exclude<Form, 'skip'>, Alternative[]> = {
  one: [[{ scheme: bearer }]],
  or: [[{ scheme: bearer }], [{ scheme: apiKey }]],
  and: [[{ scheme: bearer }, { scheme: apiKey }]],
  optional: [[{ scheme: bearer, optional: true }]],
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

/** A form as a level declaration; skip is `@SkipSecurity() @Security(apiKey)`. */
function levelOf(form: Declared): LevelDeclaration {
  if (form === 'key') return { alternatives: [[{ scheme: apiKey }]] };
  if (form === 'cookie') return { alternatives: [[{ scheme: cookie }]] };
  if (form === 'skip') return { alternatives: [[{ scheme: apiKey }]], skip: true };
  if (form === 'optional-bearer') return { alternatives: [[{ scheme: bearer, optional: true }]] };
  return { alternatives: DECLARATIONS[form] };
}

/** With a skip, every level before it requires the cookie (the module default too): skip must drop them all. */
function withSkippedLevels(row: Row): Partial<Record<Level, Declared>> {
  const skipAt = LEVELS.findIndex((level) => row.declared[level] === 'skip');
  if (skipAt < 0) return row.declared;
  return Object.fromEntries(LEVELS.map((level, i) => [level, i < skipAt ? 'cookie' : row.declared[level]]).filter(([, d]) => d));
}

function controllerFor(row: Row, index: number): Type {
  const declared = withSkippedLevels(row);
  const level = (name: Level) => (declared[name] ? levelOf(declared[name]) : undefined);
  return routeController(`row/${index}`, `Row${index}Controller`, {
    base: level('base'),
    controller: level('controller'),
    handler: level('handler'),
  });
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
      const defaultSecurity = defaultForm === 'none' ? [] : levelOf(defaultForm as Declared).alternatives;
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
        answers[request] = response.status === 200 ? (response.body.user ?? 'anonymous') : response.status;
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
        isAnonymous: (response) => response.body.user === null,
      });
    });
  });
});
