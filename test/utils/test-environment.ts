import NodeEnvironment from 'jest-environment-node';
import { closeChildren } from './child-processes';

/** Node's environment, which also kills the child processes a test file left running (see child-processes.ts). */
export default class TestEnvironment extends NodeEnvironment {
  override async teardown(): Promise<void> {
    await closeChildren(this.global);
    await super.teardown();
  }
}
