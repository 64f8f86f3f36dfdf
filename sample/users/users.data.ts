import type { UserRecord } from './user.model.js';

/**
 * The fake user database. Passwords are stored only as argon2id hashes, made once with
 * `ARGON2_OPTIONS` (see password-hasher.ts): johndoe's password is `secret`, alice's `secretalice`.
 * Make a hash for another password with:
 *   node -e "require('argon2').hash(process.argv[1], { parallelism: 1 }).then(console.log)" 'the password'
 */
export const USERS: readonly UserRecord[] = [
  {
    profile: { username: 'johndoe', email: 'johndoe@example.com', full_name: 'John Doe', disabled: false },
    passwordHash: '$argon2id$v=19$m=65536,t=3,p=1$5En26zpw+ruP/Heo2mu5lg$qkCr6UICF0m5OjZZBaFrndZwG5+Ae5XxtApwyvpG2Uo',
    allowedScopes: ['me', 'items'],
  },
  {
    profile: { username: 'alice', email: 'alicechains@example.com', full_name: 'Alice Chains', disabled: true },
    passwordHash: '$argon2id$v=19$m=65536,t=3,p=1$b2mIAc2CqeZ1zvY66gdRlQ$rynUpLLXql1c0qOqPzIujA5frVUAaW0zEacB7DArTKM',
    allowedScopes: ['me'],
  },
];
