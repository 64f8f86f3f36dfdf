import { Controller, Get, Param, Post, Query } from '@nestjs/common';
import { CurrentUser, HTTPBearer, JwtValidator, RevocationStore, Security, type JwtClaims } from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';

export const SECRET = Buffer.from('a-local-secret-of-at-least-32-bytes-for-hs256!');
export const bearer = new HTTPBearer({ bearerFormat: 'JWT' });

/** The answer to a revoked token, as to any refused one. */
export const REVOKED = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'Bearer error="invalid_token"',
};

let counter = 0;
/** An HS256 token for `alice` with a fresh jti (`claims` override any claim). */
export function sign(claims: Record<string, unknown> = {}): string {
  return craftJws({ alg: 'HS256', typ: 'JWT' }, { sub: 'alice', jti: `jti-${++counter}-${process.pid}`, iat: now(), exp: now() + 60, ...claims }, SECRET);
}

/** The jti of a token made by `sign`. */
export function jtiOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti;
}

export const jwt = (revocation?: RevocationStore | false) => new JwtValidator({ key: SECRET, algorithms: ['HS256'], revocation });

/** GET /me (bearer JWT), POST /logout (revokes the presented token), POST /once/:id?attempt= (consumeOnce). */
@Controller()
export class AccountController {
  constructor(private readonly revocations: RevocationStore) {}

  @Security(bearer)
  @Get('me')
  me(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }

  @Security(bearer)
  @Post('logout')
  async logout(@CurrentUser() user: JwtClaims) {
    await this.revocations.revokeToken(user.jti as string, user.exp!);
    return { done: true };
  }

  @Post('once/:id')
  async once(@Param('id') id: string, @Query('attempt') attempt?: string) {
    return { first: await this.revocations.consumeOnce(id, now() + 60, attempt) };
  }
}
