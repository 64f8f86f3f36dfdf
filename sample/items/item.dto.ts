import { ApiProperty } from '@nestjs/swagger';

export class Item {
  @ApiProperty({ example: 'Foo' })
  item_id!: string;

  @ApiProperty({ example: 'johndoe' })
  owner!: string;
}
