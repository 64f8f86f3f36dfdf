import { basic, ok, outcome, unauthorized } from '../utils/auth';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { startSample } from './sample-app';

const INCORRECT = {
  status: 401,
  body: { statusCode: 401, message: 'Incorrect username or password', error: 'Unauthorized' },
  challenge: 'Basic',
};

describe.each(PLATFORMS)('sample: HTTP Basic tutorial (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => (t = await startSample(platform)));
  afterAll(() => t.close());

  const get = (authorization?: string) => {
    const request = t.http.get('/basic/users/me');
    return authorization === undefined ? request : request.set('Authorization', authorization);
  };

  it('accepts stanleyjobson / swordfish', async () => {
    expect(outcome(await get(basic('stanleyjobson', 'swordfish')))).toEqual(ok({ username: 'stanleyjobson' }));
  });

  it.each([
    ['a wrong password', 'stanleyjobson', 'swordfisH'],
    ['a wrong user name', 'stanleyjobsox', 'swordfish'],
    ['both wrong', 'johndoe', 'love123'],
    ['a prefix of the password', 'stanleyjobson', 'sword'],
    ['empty values', '', ''],
    ['non-ASCII values', 'stanleyjobsón', 'swördfish'],
  ])('401 "Incorrect username or password" with WWW-Authenticate: Basic for %s', async (_case, username, password) => {
    expect(outcome(await get(basic(username, password)))).toEqual(INCORRECT);
  });

  it('401 Not authenticated without credentials', async () => {
    expect(outcome(await get())).toEqual(unauthorized('Basic'));
  });
});
