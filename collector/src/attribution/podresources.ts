/**
 * A client of the kubelet's PodResources API (gRPC over the unix socket
 * /var/lib/kubelet/pod-resources/kubelet.sock), as dcgm-exporter reads it: `List` says which
 * devices each container of each pod holds, `GetAllocatableResources` which devices the node has.
 * The protobuf definition is loaded at run time with @grpc/proto-loader from
 * proto/podresources-v1.proto (see proto/SOURCES.md).
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The kubelet's default socket. */
export const KUBELET_SOCKET = '/var/lib/kubelet/pod-resources/kubelet.sock';

/** The .proto file: beside this module's source (dist/attribution → src/attribution/proto). */
export const PODRESOURCES_PROTO = fileURLToPath(
  new URL('../../src/attribution/proto/podresources-v1.proto', import.meta.url),
);

export interface ContainerDevices {
  resource_name: string;
  device_ids: string[];
}
export interface ContainerResources {
  name: string;
  devices: ContainerDevices[];
}
export interface PodResources {
  name: string;
  namespace: string;
  containers: ContainerResources[];
}
export interface ListPodResourcesResponse {
  pod_resources: PodResources[];
}
export interface AllocatableResourcesResponse {
  devices: ContainerDevices[];
}

type Unary<Req, Res> = (
  req: Req,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

/** The generated client's shape, as far as Meridian calls it. */
export interface PodResourcesListerClient extends grpc.Client {
  List: Unary<Record<string, never>, ListPodResourcesResponse>;
  GetAllocatableResources: Unary<Record<string, never>, AllocatableResourcesResponse>;
}

interface ServiceCtor {
  new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions): PodResourcesListerClient;
  service: grpc.ServiceDefinition;
}

let loaded: ServiceCtor | undefined;

/**
 * The PodResourcesLister service from the .proto (loaded once). Decoding keeps the proto's field
 * names, fills absent repeated fields with [] and absent strings with '', so a response is always
 * the shape above.
 */
export function podResourcesService(): ServiceCtor {
  if (loaded) return loaded;
  const def = protoLoader.loadSync(PODRESOURCES_PROTO, { keepCase: true, longs: String, defaults: true, arrays: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { v1: { PodResourcesLister: ServiceCtor } };
  loaded = pkg.v1.PodResourcesLister;
  return loaded;
}

/** Why the kubelet could not be asked: each a status an SRE can act on. */
export class KubeletUnavailable extends Error {
  constructor(
    readonly reason: 'absent' | 'permission_denied' | 'not_a_socket' | 'unreachable',
    message: string,
  ) {
    super(message);
    this.name = 'KubeletUnavailable';
  }
}

/**
 * What to do about a socket this process may not connect to. The kubelet makes the socket root's,
 * mode 0755, and connecting to a unix socket needs write permission on it: a non-root reader needs
 * the relay (or a socket the node's admin opened to its group).
 */
export const PERMISSION_HINT =
  'connecting needs write permission on the socket, and the kubelet makes it root-only: on Kubernetes, run the ' +
  "DaemonSet's pod-resources-relay container and point attribution.kubelet.socket at its socket " +
  '(deploy/kubernetes/collector-daemonset.yaml); on a host, see collector/src/attribution/README.md';

/** Whether the socket is there, and connectable, for this process: a clear reason when it is not. */
export async function checkSocket(path: string): Promise<void> {
  try {
    const s = await stat(path);
    if (!s.isSocket()) throw new KubeletUnavailable('not_a_socket', `${path} is not a socket`);
    await access(path, constants.W_OK);
  } catch (err) {
    if (err instanceof KubeletUnavailable) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new KubeletUnavailable(
        'absent',
        `${path} does not exist (not a Kubernetes node, or the kubelet's pod-resources socket is not mounted)`,
      );
    if (code === 'EACCES' || code === 'EPERM')
      throw new KubeletUnavailable('permission_denied', `${path}: permission denied (${PERMISSION_HINT})`);
    throw err;
  }
}

export interface KubeletClientOptions {
  readonly socket?: string;
  /** Deadline of one call. */
  readonly timeoutMs?: number;
}

/** One channel to the kubelet, reused by every refresh. */
export class KubeletPodResources {
  readonly socket: string;
  private readonly timeoutMs: number;
  private client: PodResourcesListerClient | undefined;

  constructor(opts: KubeletClientOptions = {}) {
    this.socket = opts.socket ?? KUBELET_SOCKET;
    this.timeoutMs = opts.timeoutMs ?? 2000;
  }

  private connect(): PodResourcesListerClient {
    if (!this.client) {
      const Ctor = podResourcesService();
      // The kubelet caps messages at 16 MiB; a node's pod list is far below that.
      this.client = new Ctor(`unix://${this.socket}`, grpc.credentials.createInsecure(), {
        'grpc.max_receive_message_length': 16 * 1024 * 1024,
      });
    }
    return this.client;
  }

  list(): Promise<ListPodResourcesResponse> {
    return this.call((c, o, cb) => c.List({}, o, cb));
  }

  allocatable(): Promise<AllocatableResourcesResponse> {
    return this.call((c, o, cb) => c.GetAllocatableResources({}, o, cb));
  }

  private async call<Res>(
    run: (
      c: PodResourcesListerClient,
      o: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res?: Res) => void,
    ) => grpc.ClientUnaryCall,
  ): Promise<Res> {
    await checkSocket(this.socket);
    const client = this.connect();
    return new Promise<Res>((resolve, reject) => {
      run(client, { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        if (err) {
          reject(
            err.code === grpc.status.UNAVAILABLE
              ? new KubeletUnavailable('unreachable', `${this.socket}: ${err.details || err.message}`)
              : err,
          );
        } else if (res === undefined) reject(new Error(`${this.socket}: empty answer`));
        else resolve(res);
      });
    });
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
