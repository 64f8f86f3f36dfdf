import { Injectable } from '@nestjs/common';
import { SecurityHttpException, type HTTPBasicCredentials, type SecurityValidator } from 'nestjs-security-schemes';
import { createHash, timingSafeEqual } from 'node:crypto';

export interface BasicUser {
  username: string;
}

/** SHA-256 of the UTF-8 bytes: equal-length digests for timingSafeEqual, whatever the input's length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * The tutorial's `get_current_username`. Both the user name and the password are compared in
 * constant time, and both comparisons always run, so the response time tells nothing about how
 * much of either was right. (A real application would store an argon2 hash, as the OAuth2 part does.)
 */
@Injectable()
export class BasicValidator implements SecurityValidator<HTTPBasicCredentials, BasicUser> {
  private readonly expectedUsername = digest('stanleyjobson');
  private readonly expectedPassword = digest('swordfish');

  validate({ username, password }: HTTPBasicCredentials): BasicUser {
    const usernameMatches = timingSafeEqual(digest(username), this.expectedUsername);
    const passwordMatches = timingSafeEqual(digest(password), this.expectedPassword);
    if (!usernameMatches || !passwordMatches) {
      throw new SecurityHttpException(401, 'Incorrect username or password', { 'WWW-Authenticate': 'Basic' });
    }
    return { username };
  }
}
