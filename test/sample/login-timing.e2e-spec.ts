import { PLATFORMS, type TestApp } from '../utils/platforms';
import { postToken, startSample } from './sample-app';

const ROUNDS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe.each(PLATFORMS)('sample: no user enumeration by timing (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => (t = await startSample(platform)));
  afterAll(() => t.close());

  /** Milliseconds of one failed login. */
  async function timeFailedLogin(username: string, password: string): Promise<number> {
    const start = process.hrtime.bigint();
    await postToken(t.http, { username, password }).expect(400);
    return Number(process.hrtime.bigint() - start) / 1e6;
  }

  it('an unknown user name costs as much as a wrong password (argon2 either way)', async () => {
    await timeFailedLogin('johndoe', 'warm-up');
    const unknownUser: number[] = [];
    const wrongPassword: number[] = [];
    // Interleaved, so that load from elsewhere on the machine hits both series alike.
    for (let round = 0; round < ROUNDS; round++) {
      unknownUser.push(await timeFailedLogin(`nobody-${round}`, 'secret'));
      wrongPassword.push(await timeFailedLogin('johndoe', `wrong-${round}`));
    }
    const ratio = median(unknownUser) / median(wrongPassword);
    // Without the dummy verification an unknown user would answer in about a millisecond (ratio ~0.01).
    // On failure the assertion shows the measurements.
    const comparable = ratio >= 0.5 && ratio <= 2;
    expect(comparable ? 'comparable' : { ratio, unknownUser, wrongPassword }).toBe('comparable');
  });
});

