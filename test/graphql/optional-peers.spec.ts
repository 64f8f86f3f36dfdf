// An HTTP-only application must not need the GraphQL or WebSocket packages: loading the library and
// serving a secured route works when requiring any of them throws.
const OPTIONAL_PEERS = ['graphql', 'graphql-ws', '@nestjs/graphql', '@nestjs/apollo', '@apollo/server', '@nestjs/websockets', '@nestjs/platform-ws', '@nestjs/microservices', 'ws'];
for (const name of OPTIONAL_PEERS) {
  jest.mock(name, () => {
    throw new Error(`${name} is not installed`);
  });
}

import { Controller, Get } from '@nestjs/common';
import { APIKeyHeader, CurrentUser, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { createTestApp, PLATFORMS } from '../utils/platforms';

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });

@Controller()
class HelloController {
  @Security(apiKey)
  @Get('hello')
  hello(@CurrentUser() key: string) {
    return { key };
  }
}

describe.each(PLATFORMS)('an HTTP-only application without the optional peers (%s)', (platform) => {
  it('loads the library and protects its routes', async () => {
    expect(() => require('graphql')).toThrow('graphql is not installed');
    const { http, close } = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: apiKey, validator: { validate: (key: string) => (key === 'k' ? key : null) } }] })],
      controllers: [HelloController],
    });
    try {
      await http.get('/hello').expect(401);
      await http.get('/hello').set('X-API-Key', 'k').expect(200, { key: 'k' });
    } finally {
      await close();
    }
  });
});
