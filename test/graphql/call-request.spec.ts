import type { ExecutionContext } from '@nestjs/common';
import { graphqlRequest } from '../../lib/transports/graphql';

// Each resolver call gets a request object of its own, found again for the same call (by the guard, then by
// @CurrentUser()), whether the call's `info` can carry it or is frozen.

const operation = { headers: { authorization: 'Bearer abc' }, query: {} };
const resolverCall = (info: object | undefined, context: object = { req: operation }) =>
  ({ getArgs: () => [undefined, {}, context, info] }) as unknown as ExecutionContext;

describe('graphqlRequest', () => {
  it.each([
    ['an info object', () => ({ fieldName: 'items' })],
    ['a frozen info object', () => Object.freeze({ fieldName: 'items' })],
  ])('gives one request per resolver call, with %s', (_name, makeInfo) => {
    const first = makeInfo();
    const second = makeInfo();
    const request = graphqlRequest(resolverCall(first));
    expect(request.headers).toBe(operation.headers);
    expect(graphqlRequest(resolverCall(first))).toBe(request);
    expect(graphqlRequest(resolverCall(second))).not.toBe(request);
    expect(Object.keys(first)).toEqual(['fieldName']); // nothing visible added to the call's info
  });

  it('falls back to the GraphQL context, and to no credentials without a request', () => {
    const context = { req: operation };
    expect(graphqlRequest(resolverCall(undefined, context))).toBe(graphqlRequest(resolverCall(undefined, context)));
    expect(graphqlRequest(resolverCall(undefined, {})).headers).toEqual({});
  });
});
