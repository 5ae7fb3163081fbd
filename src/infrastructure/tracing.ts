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
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
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
  const processor = spanProcessor ?? new BatchSpanProcessor(exporter);
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
