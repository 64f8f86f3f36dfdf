import { Controller, UseGuards, type Type } from '@nestjs/common';
import { EventPattern, MessagePattern, Transport } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { APIKeyHeader, Security, SecurityGuard, SecuritySchemesModule, SkipSecurity } from 'nestjs-security-schemes';

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });

@Controller()
class MessageHandlers {
  @Security(apiKey)
  @MessagePattern({ cmd: 'sum' })
  sum(numbers: number[]) {
    return numbers.reduce((a, b) => a + b, 0);
  }
}

@Security(apiKey)
@Controller()
class EventHandlers {
  @EventPattern('user_created')
  created() {}
}

@Controller()
class UnsecuredHandlers {
  @MessagePattern({ cmd: 'ping' })
  ping() {
    return 'pong';
  }
}

@SkipSecurity()
@Controller()
class OptedOutHandlers {
  @MessagePattern({ cmd: 'echo' })
  echo(value: unknown) {
    return value;
  }
}

@WebSocketGateway()
class UnguardedGateway {
  @Security(apiKey)
  @SubscribeMessage('secret')
  secret() {
    return 'secret';
  }
}

@UseGuards(SecurityGuard)
@WebSocketGateway()
class GuardedGateway {
  @Security(apiKey)
  @SubscribeMessage('secret')
  secret() {
    return 'secret';
  }
}

function compile(controllers: Type[], providers: Type[] = [], defaultSecurity = false) {
  return Test.createTestingModule({
    imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: apiKey, validator: { validate: () => null } }], ...(defaultSecurity && { defaultSecurity: [apiKey] }) })],
    controllers,
    providers,
  }).compile();
}

describe('start-up errors for handlers the schemes cannot protect', () => {
  it('refuses @Security on a @MessagePattern handler, naming it', async () => {
    await expect(compile([MessageHandlers])).rejects.toThrow(
      'MessageHandlers.sum: security schemes cannot protect microservice handlers (@MessagePattern/@EventPattern carry no request credentials).',
    );
  });

  it('refuses a class-level @Security that reaches an @EventPattern handler', async () => {
    await expect(compile([EventHandlers])).rejects.toThrow('EventHandlers.created: security schemes cannot protect microservice handlers');
  });

  it('refuses microservice handlers that defaultSecurity reaches, unless they opt out with @SkipSecurity()', async () => {
    await expect(compile([UnsecuredHandlers], [], true)).rejects.toThrow('UnsecuredHandlers.ping:');
    const app = (await compile([OptedOutHandlers], [], true)).createNestMicroservice({ transport: Transport.TCP, options: { port: 0 } });
    await app.init();
    await app.close();
  });

  it('names the microservice handler, not the missing validator, when its requirement names a scheme without one', async () => {
    const bare = new APIKeyHeader({ name: 'X-Other-Key', schemeName: 'BareKey' });
    @Controller()
    class BareSchemeHandlers {
      @Security(bare)
      @MessagePattern({ cmd: 'bare' })
      bare() {}
    }
    const compiling = Test.createTestingModule({
      imports: [SecuritySchemesModule.forRoot({ schemes: [bare] })],
      controllers: [BareSchemeHandlers],
    }).compile();
    await expect(compiling).rejects.toThrow('BareSchemeHandlers.bare: security schemes cannot protect microservice handlers');
  });

  it('starts when microservice handlers declare nothing', async () => {
    await (await compile([UnsecuredHandlers])).close();
  });

  it('refuses a secured gateway handler that no security guard runs on (Nest runs no global guard on gateways)', async () => {
    await expect(compile([], [UnguardedGateway])).rejects.toThrow(
      'UnguardedGateway.secret: Nest does not run global guards on WebSocket gateways, so nothing would enforce its security requirement. Add @UseGuards(SecurityGuard) to UnguardedGateway (or @SkipSecurity() to leave it unprotected).',
    );
    await (await compile([], [GuardedGateway])).close();
  });
});
