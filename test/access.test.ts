import { describe, expect, it } from 'vitest';
import { checkAccess } from '../src/delivery/access.js';
import { AccessError, ApiError, InputError } from '../src/shared/errors.js';
import type { DatastoreUsage, Membership } from '../src/entrepot/types.js';

const target = { datastore: 'ds-1', apiUrl: 'https://api.example/api' };

/** An API whose two reads answer when the test says, recording when each was asked. */
function deferredApi() {
  const asked: string[] = [];
  let answerRights!: (value: Membership[] | Error) => void;
  let answerUsage!: (value: DatastoreUsage | Error) => void;
  const settle = <T>(value: T | Error) => (value instanceof Error ? Promise.reject(value) : Promise.resolve(value));
  const api = {
    memberships: () => {
      asked.push('memberships');
      return new Promise<Membership[] | Error>((resolve) => (answerRights = resolve)).then(settle<Membership[]>);
    },
    datastore: () => {
      asked.push('usage');
      return new Promise<DatastoreUsage | Error>((resolve) => (answerUsage = resolve))
        .then(settle<DatastoreUsage>)
        .then((usage) => ({ usage, endpoints: [] }));
    },
  };
  return {
    api,
    asked,
    answerRights: (v: Membership[] | Error) => answerRights(v),
    answerUsage: (v: DatastoreUsage | Error) => answerUsage(v),
  };
}

describe('checkAccess', () => {
  it('with a layer, asks for PROCESSING and BROADCAST too, naming the rights missing', async () => {
    const { api, answerRights, answerUsage } = deferredApi();
    const checking = checkAccess(api, { ...target, layer: 'ortho' }, () => undefined);
    answerUsage({ use: 1, quota: 10 });
    answerRights([{ community: 'c', datastore: 'ds-1', rights: ['UPLOAD', 'BROADCAST'] }]);
    await expect(checking).rejects.toThrow(
      /lacks the PROCESSING right in community 'c'.*publishing a layer needs UPLOAD, PROCESSING, BROADCAST/,
    );
  });

  it("a wrong api-url (a 404 on the account's route) is named as such", async () => {
    const { api, answerRights, answerUsage } = deferredApi();
    const checking = checkAccess(api, target, () => undefined);
    answerUsage(new ApiError(404, 'GET', '/datastores/ds-1', []));
    answerRights(new ApiError(404, 'GET', '/users/me', []));
    await expect(checking).rejects.toThrow(/^Input 'api-url': https:\/\/api.example\/api answered 404 to GET \/users\/me/);
  });

  it('asks for the rights and the datastore at once: one round trip', async () => {
    const { api, asked, answerRights, answerUsage } = deferredApi();
    const checking = checkAccess(api, target, () => undefined);
    await Promise.resolve();
    // Both were asked before either answered.
    expect(asked).toEqual(['memberships', 'usage']);
    answerUsage({ use: 1, quota: 10 });
    answerRights([{ community: 'c', datastore: 'ds-1', rights: ['UPLOAD'] }]);
    await expect(checking).resolves.toEqual({ use: 1, quota: 10 });
  });

  it('judges the rights first, whichever answer came first', async () => {
    const { api, answerRights, answerUsage } = deferredApi();
    const checking = checkAccess(api, target, () => undefined);
    await Promise.resolve();
    answerUsage(new ApiError(404, 'GET', '/datastores/ds-1', ['not found']));
    answerRights([{ community: 'c', datastore: 'ds-1', rights: ['ANNEX'] }]);
    await expect(checking).rejects.toBeInstanceOf(AccessError);
  });

  it('an unknown datastore is named as the input to fix', async () => {
    const { api, answerRights, answerUsage } = deferredApi();
    const checking = checkAccess(api, target, () => undefined);
    await Promise.resolve();
    answerRights([]);
    answerUsage(new ApiError(404, 'GET', '/datastores/ds-1', ['not found']));
    await expect(checking).rejects.toBeInstanceOf(InputError);
  });
});
