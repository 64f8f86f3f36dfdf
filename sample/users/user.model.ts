import { ApiProperty } from '@nestjs/swagger';

/** A user as the API shows it: never with the password hash. Field names as in FastAPI's tutorial. */
export class User {
  @ApiProperty({ example: 'johndoe' })
  username!: string;

  @ApiProperty({ example: 'johndoe@example.com' })
  email!: string;

  @ApiProperty({ example: 'John Doe' })
  full_name!: string;

  @ApiProperty({ example: false })
  disabled!: boolean;
}

/** A stored user: the public profile, the argon2id hash of the password, and the scopes the user may be granted. */
export interface UserRecord {
  readonly profile: User;
  readonly passwordHash: string;
  readonly allowedScopes: readonly string[];
}
