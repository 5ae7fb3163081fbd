/**
 * Optional OpenTelemetry tracing, off by default and configured by the standard OTEL_*
 * variables: OTEL_TRACES_EXPORTER=otlp (with OTEL_EXPORTER_OTLP_ENDPOINT, ...) or console
 * turns it on. One trace follows a transaction from the API request through the workflow
 * start, the workflow and its activities to the HTTP calls to PMS and Zuz.
 *
 * Entry points import this module first: the HTTP instrumentation must patch `http` before
 * express or anything else loads it.
 */
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type ReadableSpan,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Context } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

export interface Tracing {
  /** Add to the Temporal Client and Worker (`plugins: [...]`) and to a prebuilt workflow bundle. */
  plugin: OpenTelemetryPlugin;
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/** What the environment asks for; a value we cannot honour is an error, not a silent "off". */
export function tracingExporter(env: Env): 'otlp' | 'console' | 'none' {
  if (env.OTEL_SDK_DISABLED === 'true') return 'none';
  const asked = env.OTEL_TRACES_EXPORTER ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : 'none');
  if (asked === 'otlp' || asked === 'console' || asked === 'none') return asked;
  throw new Error(`OTEL_TRACES_EXPORTER: must be otlp, console or none (got "${asked}")`);
}

/** Starts tracing with an exporter of the caller's (tests) or the one the environment names; undefined when off. */
export function startTracing(env: Env, spanProcessor?: SpanProcessor): Tracing | undefined {
  const kind = tracingExporter(env);
  if (kind === 'none' && !spanProcessor) return undefined;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME ?? 'pos-payments' });
  const exporter: SpanExporter = kind === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter();
  // Customer ids never reach a span: URLs of the PMS lookup and the list's customerId filter are rewritten as spans start.
  const processor = new CustomerIdRedaction(spanProcessor ?? new BatchSpanProcessor(exporter));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  const unregister = registerInstrumentations({ instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()] });
  return {
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor: processor }),
    shutdown: async () => {
      unregister();
      await provider.shutdown();
    },
  };
}

/**
 * Temporal only ever sees a customer's pseudonym; traces see none at all: the customer segment of a
 * URL (`/customers/<id>/`) and a `customerId=` query value are replaced in every string attribute
 * (url.full, http.target, http.url...), and any `customerId` field of an object attribute, before
 * any exporter gets the span.
 */
export function withoutCustomerIds(value: string): string {
  return value.replace(/(\/customers\/)[^/?#]+/g, '$1[customer]').replace(/([?&]customerId=)[^&#]*/gi, '$1[customer]');
}

/** A span attribute without customer ids: URLs rewritten, and any `customerId` field of an object (the workflow's memo, say) replaced. */
function redacted(value: unknown): unknown {
  if (typeof value === 'string') return withoutCustomerIds(value);
  if (Array.isArray(value)) return value.map(redacted);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, /^customer_?id$/i.test(key) ? '[customer]' : redacted(v)]));
  return value;
}

class CustomerIdRedaction implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    for (const [name, value] of Object.entries(span.attributes)) {
      if (typeof value === 'string' && withoutCustomerIds(value) !== value) span.setAttribute(name, withoutCustomerIds(value));
    }
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    // Attributes set after the start (the Temporal interceptor's workflow info with its memo) are rewritten here, in place,
    // before any exporter sees the span.
    const attributes = span.attributes as Record<string, unknown>;
    for (const [name, value] of Object.entries(attributes)) attributes[name] = redacted(value);
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

function startFromEnvironment(): Tracing | undefined {
  try {
    return startTracing(process.env);
  } catch (err) {
    console.error(`Invalid configuration:\n  ${(err as Error).message}`);
    process.exit(1);
  }
}

/** This process's tracing, as the environment configured it. */
export const tracing = startFromEnvironment();
