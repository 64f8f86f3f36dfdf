import { ApiProperty } from '@nestjs/swagger';

/** The token endpoint's answer (RFC 6749 section 5.1). */
export class Token {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9...' })
  access_token!: string;

  @ApiProperty({ example: 'bearer' })
  token_type!: 'bearer';

  @ApiProperty({ example: 1800, description: 'Seconds until the access token expires.' })
  expires_in!: number;

  @ApiProperty({
    example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6InJ0K2p3dCJ9...',
    description: 'Send it with grant_type=refresh_token for a new pair; it works once (rotation).',
  })
  refresh_token!: string;
}
