/**
 * A real OTLP/gRPC trace receiver on loopback: @grpc/grpc-js serving
 * opentelemetry.proto.collector.trace.v1.TraceService/Export, decoding requests with the OTLP
 * protobuf definitions compiled in @opentelemetry/otlp-transformer 0.200 (the last line that ships
 * them; installed under the alias otlp-transformer-protos). Nothing about the exporter is faked.
 */
import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import protoRoot from 'otlp-transformer-protos/build/src/generated/root.js';

interface MessageType {
  decode(buf: Uint8Array): object;
  encode(msg: object): { finish(): Uint8Array };
  toObject(msg: object, opts: { longs: StringConstructor; bytes: StringConstructor; defaults: boolean }): unknown;
}

const v1 = (
  protoRoot as unknown as {
    opentelemetry: {
      proto: {
        collector: {
          trace: { v1: { ExportTraceServiceRequest: MessageType; ExportTraceServiceResponse: MessageType } };
        };
      };
    };
  }
).opentelemetry.proto.collector.trace.v1;

export interface ReceivedSpan {
  readonly service: string;
  readonly name: string;
  readonly attributes: Record<string, string | number | boolean>;
  readonly status: number;
  readonly traceId: string;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface DecodedRequest {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: AnyValue }[] };
    scopeSpans?: {
      spans?: {
        name: string;
        traceId: string;
        attributes?: { key: string; value: AnyValue }[];
        status?: { code?: number };
      }[];
    }[];
  }[];
}

const plain = (v: AnyValue): string | number | boolean =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue ?? ''));

export async function startOtlpReceiver(): Promise<{
  endpoint: string;
  spans: ReceivedSpan[];
  requests: number;
  close(): Promise<void>;
}> {
  const spans: ReceivedSpan[] = [];
  const state = { requests: 0 };
  const service: ServiceDefinition = {
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: (m: object) => Buffer.from(v1.ExportTraceServiceRequest.encode(m).finish()),
      requestDeserialize: (b: Buffer) => v1.ExportTraceServiceRequest.decode(b),
      responseSerialize: (m: object) => Buffer.from(v1.ExportTraceServiceResponse.encode(m).finish()),
      responseDeserialize: (b: Buffer) => v1.ExportTraceServiceResponse.decode(b),
    },
  };
  const server = new Server();
  server.addService(service, {
    Export(call: ServerUnaryCall<object, object>, callback: sendUnaryData<object>) {
      state.requests++;
      const req = v1.ExportTraceServiceRequest.toObject(call.request, {
        longs: String,
        bytes: String,
        defaults: false,
      }) as DecodedRequest;
      for (const rs of req.resourceSpans ?? []) {
        const serviceName = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service: serviceName,
              name: s.name,
              traceId: s.traceId,
              status: s.status?.code ?? 0,
              attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, plain(a.value)])),
            });
          }
        }
      }
      callback(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
