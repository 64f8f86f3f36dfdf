import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createSampleApp } from '../../sample/setup';
import { ok, outcome } from '../utils/auth';
import { PLATFORMS } from '../utils/platforms';
import { bearer, TEST_SECRET_KEY } from './sample-app';

// createSampleApp is what main.ts runs (and what a benchmark or a browser test can reuse).
describe.each(PLATFORMS)('sample: createSampleApp, as main.ts starts it (%s)', (platform) => {
  let app: INestApplication;
  beforeAll(async () => {
    process.env.SECRET_KEY = TEST_SECRET_KEY;
    app = await createSampleApp(platform, { logger: false });
    await app.init();
    if (platform === 'fastify') await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  it("serves the tutorial's URLs, trailing slash included, and /docs-json", async () => {
    const http = request(app.getHttpServer());
    const login = await http.post('/token').type('form').send({ username: 'johndoe', password: 'secret', scope: 'me items' });
    expect(login.status).toBe(200);
    const token = login.body.access_token;
    expect(outcome(await http.get('/users/me/').set('Authorization', bearer(token)))).toEqual(
      ok({ username: 'johndoe', email: 'johndoe@example.com', full_name: 'John Doe', disabled: false }),
    );
    expect(outcome(await http.get('/users/me/items/').set('Authorization', bearer(token)))).toEqual(
      ok([{ item_id: 'Foo', owner: 'johndoe' }]),
    );
    expect(outcome(await http.get('/status/').set('Authorization', bearer(token)))).toEqual(ok({ status: 'ok' }));
    const document = await http.get('/docs-json').expect(200);
    expect(document.body.info.title).toBe('nestjs-security-schemes sample');
  });
});
