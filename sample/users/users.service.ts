import { Injectable } from '@nestjs/common';
import { PasswordHasher } from './password-hasher.js';
import type { UserRecord } from './user.model.js';
import { USERS } from './users.data.js';

@Injectable()
export class UsersService {
  // A Map, so that names such as "__proto__" or "constructor" are just unknown users.
  private readonly users = new Map(USERS.map((user) => [user.profile.username, user]));

  constructor(private readonly hasher: PasswordHasher) {}

  find(username: string): UserRecord | undefined {
    return this.users.get(username);
  }

  /**
   * The user whose password this is, or null. Unknown users and wrong passwords cost the same. A login whose
   * client hung up (`signal`) while it waited for argon2 is dropped before its verification runs.
   */
  async authenticate(username: string, password: string, signal?: AbortSignal): Promise<UserRecord | null> {
    const user = this.find(username);
    const matches = await this.hasher.verify(user?.passwordHash, password, signal);
    return matches ? user! : null;
  }
}
