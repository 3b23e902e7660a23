/**
 * `watchedService(options, prepare?)`: a test service whose fdatasyncs are watched
 * (held-syncs.ts), for the tests of one describe block. Started before them (`prepare` runs
 * before the watch begins, so that what it writes is not counted), every hold released after each
 * test, the watch restored and the service closed after all. Read `service` and `syncs` inside the
 * tests, not at the describe block's top level (they exist once the block's beforeAll has run).
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { watchSyncs, type SyncWatch } from './held-syncs.js';
import { startTestService, type TestService, type TestServiceOptions } from './service-kit.js';

export interface WatchedService {
  readonly service: TestService;
  readonly syncs: SyncWatch;
}

export function watchedService(options: TestServiceOptions, prepare?: (service: TestService) => Promise<void>): WatchedService {
  let service: TestService | undefined;
  let syncs: SyncWatch | undefined;
  beforeAll(async () => {
    service = await startTestService(options);
    await prepare?.(service);
    syncs = await watchSyncs();
  }, 60_000);
  afterEach(() => syncs?.release());
  afterAll(async () => {
    syncs?.restore();
    await service?.close();
  });
  return {
    get service() {
      if (service === undefined) throw new Error('the watched service starts in beforeAll: read it inside a test');
      return service;
    },
    get syncs() {
      if (syncs === undefined) throw new Error('the fdatasync watch starts in beforeAll: read it inside a test');
      return syncs;
    },
  };
}
