import type { UserRecord } from './user.model.js';

/**
 * The fake user database. Passwords are stored only as argon2id hashes, made once with
 * `ARGON2_OPTIONS` (see password-hasher.ts): johndoe's password is `secret`, alice's `secretalice`.
 * Make a hash for another password with:
 *   node -e "require('argon2').hash(process.argv[1]).then(console.log)" 'the password'
 */
export const USERS: readonly UserRecord[] = [
  {
    profile: { username: 'johndoe', email: 'johndoe@example.com', full_name: 'John Doe', disabled: false },
    passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$13P5u0DQZAtvNbZX3m+lAA$a7WgCTey386jtDh7TJtfkk0Om6JpX7Spzaa1XZm7XbE',
    allowedScopes: ['me', 'items'],
  },
  {
    profile: { username: 'alice', email: 'alicechains@example.com', full_name: 'Alice Chains', disabled: true },
    passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$8+4ZD0yCua4tlPAzGT3FCA$gME+eckZvq85mZOhrMl0Pobo/uCof3Li3hkmvsV9yW8',
    allowedScopes: ['me'],
  },
];
