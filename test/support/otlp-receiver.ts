import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as the receiver read it, from OTLP/HTTP JSON or protobuf alike. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** OTLP's StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  resource: Record<string, string | number | boolean>;
  /** The content type of the export request that carried it. */
  contentType: string;
}

type Scalar = string | number | boolean;

/** The fields of one protobuf message: field number → its values (varints as bigint, the rest as bytes). */
function protoFields(buffer: Buffer): Map<number, (bigint | Buffer)[]> {
  const fields = new Map<number, (bigint | Buffer)[]>();
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[at++];
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const [field, wire] = [key >>> 3, key & 7];
    let value: bigint | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 1) value = buffer.subarray(at, (at += 8));
    else if (wire === 2) {
      const length = Number(varint());
      value = buffer.subarray(at, (at += length));
    } else if (wire === 5) value = buffer.subarray(at, (at += 4));
    else throw new Error(`unexpected protobuf wire type ${wire}`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const bytes = (fields: Map<number, (bigint | Buffer)[]>, n: number): Buffer[] => (fields.get(n) ?? []) as Buffer[];
const text = (fields: Map<number, (bigint | Buffer)[]>, n: number): string => bytes(fields, n)[0]?.toString() ?? '';
const hex = (fields: Map<number, (bigint | Buffer)[]>, n: number): string => bytes(fields, n)[0]?.toString('hex') ?? '';
const int = (fields: Map<number, (bigint | Buffer)[]>, n: number): number => Number(fields.get(n)?.[0] ?? 0n);

/** KeyValue { key = 1; AnyValue value = 2 { string 1, bool 2, int64 3, double 4 } }. */
function protoAttributes(list: Buffer[]): Record<string, Scalar> {
  const attributes: Record<string, Scalar> = {};
  for (const entry of list) {
    const kv = protoFields(entry);
    const value = protoFields(bytes(kv, 2)[0] ?? Buffer.alloc(0));
    if (value.has(1)) attributes[text(kv, 1)] = text(value, 1);
    else if (value.has(2)) attributes[text(kv, 1)] = int(value, 2) === 1;
    else if (value.has(3)) attributes[text(kv, 1)] = int(value, 3);
    else if (value.has(4)) attributes[text(kv, 1)] = bytes(value, 4)[0].readDoubleLE(0);
  }
  return attributes;
}

/** opentelemetry/proto/collector/trace/v1 ExportTraceServiceRequest, as protobuf. */
function protobufSpans(body: Buffer, contentType: string): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of bytes(protoFields(body), 1)) {
    const rs = protoFields(resourceSpans);
    const resource = protoAttributes(bytes(protoFields(bytes(rs, 1)[0] ?? Buffer.alloc(0)), 1));
    for (const scopeSpans of bytes(rs, 2)) {
      for (const encoded of bytes(protoFields(scopeSpans), 2)) {
        const span = protoFields(encoded);
        const status = protoFields(bytes(span, 15)[0] ?? Buffer.alloc(0));
        spans.push({
          traceId: hex(span, 1),
          spanId: hex(span, 2),
          parentSpanId: hex(span, 4),
          name: text(span, 5),
          kind: int(span, 6),
          attributes: protoAttributes(bytes(span, 9)),
          statusCode: int(status, 3),
          resource,
          contentType,
        });
      }
    }
  }
  return spans;
}

interface JsonValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
}
type JsonAttributes = { key: string; value: JsonValue }[] | undefined;

function jsonAttributes(list: JsonAttributes): Record<string, Scalar> {
  const attributes: Record<string, Scalar> = {};
  for (const { key, value } of list ?? []) {
    attributes[key] = value.stringValue ?? value.boolValue ?? value.doubleValue ?? Number(value.intValue);
  }
  return attributes;
}

interface JsonRequest {
  resourceSpans?: {
    resource?: { attributes?: JsonAttributes };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: JsonAttributes;
        status?: { code?: number };
      }[];
    }[];
  }[];
}

/** The same request in OTLP/HTTP's JSON encoding (ids as hex strings, enums as integers). */
function jsonSpans(body: Buffer, contentType: string): ReceivedSpan[] {
  const request = JSON.parse(body.toString()) as JsonRequest;
  return (request.resourceSpans ?? []).flatMap((rs) =>
    (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        attributes: jsonAttributes(span.attributes),
        statusCode: span.status?.code ?? 0,
        resource: jsonAttributes(rs.resource?.attributes),
        contentType,
      })),
    ),
  );
}

/**
 * A local OTLP/HTTP trace receiver (`POST /v1/traces`, JSON or protobuf, as a collector takes them): it answers 200
 * with an empty ExportTraceServiceResponse and keeps every span it read.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.receive(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async receive(request: IncomingMessage, response: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const type = request.headers['content-type'] ?? '';
    if (request.method !== 'POST' || request.url !== '/v1/traces') {
      response.writeHead(404).end();
      return;
    }
    const json = type.startsWith('application/json');
    this.spans.push(...(json ? jsonSpans(body, type) : protobufSpans(body, type)));
    response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    response.end(json ? '{}' : '');
  }

  /** Waits until `found` holds for the spans received (or fails after `timeoutMs`). */
  async waitFor(found: (spans: ReceivedSpan[]) => boolean, timeoutMs = 20_000): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (!found(this.spans)) {
      if (Date.now() > deadline) {
        throw new Error(`spans not received; got: ${this.spans.map((s) => s.name).join(', ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this.spans;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
