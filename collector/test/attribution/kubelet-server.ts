/**
 * A real gRPC server on a unix socket that answers the kubelet's PodResourcesLister calls with
 * recorded responses (encoded by the same .proto the collector loads). Tests change `list` between
 * calls to play a node's history; `fail` makes the next calls answer an error status instead;
 * `malformed` answers bytes that are not a ListPodResourcesResponse.
 */
import * as grpc from '@grpc/grpc-js';
import {
  podResourcesService,
  type AllocatableResourcesResponse,
  type ListPodResourcesResponse,
} from '@meridian/collector';

export interface FakeKubelet {
  list: ListPodResourcesResponse;
  allocatable: AllocatableResourcesResponse;
  fail: grpc.status | undefined;
  calls: number;
  close(): Promise<void>;
}

export async function startFakeKubelet(socket: string, opts: { malformed?: boolean } = {}): Promise<FakeKubelet> {
  const server = new grpc.Server();
  const state: FakeKubelet = {
    list: { pod_resources: [] },
    allocatable: { devices: [] },
    fail: undefined,
    calls: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
  const service = podResourcesService().service;
  const answer =
    <T>(get: () => T) =>
    (_call: unknown, cb: grpc.sendUnaryData<T>) => {
      state.calls++;
      if (state.fail !== undefined) cb({ code: state.fail, details: 'refused by the test kubelet' }, null);
      else cb(null, get());
    };
  const definition: grpc.ServiceDefinition = opts.malformed
    ? {
        ...service,
        // Same method path, but the answer is bytes no ListPodResourcesResponse decodes from.
        List: { ...service['List']!, responseSerialize: () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]) },
      }
    : service;
  server.addService(definition, {
    List: answer(() => state.list),
    GetAllocatableResources: answer(() => state.allocatable),
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  return state;
}
