import { ApiProperty } from '@nestjs/swagger';

/** The token endpoint's answer (RFC 6749 section 5.1). */
export class Token {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...' })
  access_token!: string;

  @ApiProperty({ example: 'bearer' })
  token_type!: 'bearer';
}
