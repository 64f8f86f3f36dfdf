import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkBlocks, documentationBlocks, ROOT } from './code-blocks';

// Every ```ts block of README.md and docs/ must compile against the built package (`npm test` builds
// first), as a user who copies it would compile it. The convention for fragments is in ./code-blocks.ts
// and CONTRIBUTING.md ("Code blocks in the documentation").
describe('the TypeScript blocks of the documentation', () => {
  it('type-check against the built package', () => {
    if (!existsSync(join(ROOT, 'dist', 'esm', 'index.d.ts'))) throw new Error('dist/ is missing: run npm run build first');
    const blocks = documentationBlocks();
    expect(blocks.length).toBeGreaterThan(20);
    const errors = checkBlocks(blocks).map((d) => `${d.where}: ${d.message}`);
    expect(errors).toEqual([]);
  });
});
