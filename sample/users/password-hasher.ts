import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';

/**
 * argon2's defaults, written out: argon2id, 64 MiB, 3 passes, 4 lanes. Above OWASP's minimum
 * (argon2id, m=19 MiB, t=2, p=1), and what FastAPI's tutorial (pwdlib) uses.
 */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 65536, timeCost: 3, parallelism: 4 } as const;

/** The hash of random bytes nobody kept, made with ARGON2_OPTIONS. No password matches it. */
export const DUMMY_HASH = '$argon2id$v=19$m=65536,t=3,p=4$fxTvt34o/lXxSynnc98hIg$SWDPxsalhX5x+YF4bvwvDf0M8lW6Mg6KHljEILXlWDA';

@Injectable()
export class PasswordHasher {
  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  /**
   * True when `password` matches `hash`. Without a hash (an unknown user) it verifies against a
   * dummy hash all the same, so an unknown user name costs as much as a wrong password: the
   * response time does not tell which user names exist.
   */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    const matches = await argon2.verify(hash ?? DUMMY_HASH, password);
    return matches && hash !== undefined;
  }
}
