package rustexporter

import (
	"context"
	"fmt"
	"math"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustcomponent"
	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// meterScope names the meter of this package's own instruments.
const meterScope = "github.com/otelcol-rust/otelcol-rust/go/rustexporter"

// rustExporter is the Go side of one Rust exporter instance: the push function exporterhelper
// calls (after its queue, retry and timeout) and the lifecycle it starts and stops. The
// collector creates one per (id, signal), each with its own Rust instance.
type rustExporter struct {
	instance *rustcomponent.Instance
	signal   rustffi.Signal
	logger   *zap.Logger
	// rejected counts the items destinations refused for good in partial successes: the
	// collector counts those batches as sent.
	rejected metric.Int64Counter
	// attributes name the exporter and the signal on its own metrics (as on the Rust
	// instance's).
	attributes metric.MeasurementOption
}

func newExporter(set exporter.Settings, cfg component.Config, signal rustffi.Signal) (*rustExporter, *Config, error) {
	config, ok := cfg.(*Config)
	if !ok {
		return nil, nil, fmt.Errorf("rust exporter %q: unexpected config type %T", set.ID, cfg)
	}
	if config.rust == nil {
		return nil, nil, fmt.Errorf("rust exporter %q: %w", set.ID, errNoRustDocument)
	}
	rejected, err := set.MeterProvider.Meter(meterScope).Int64Counter("otelcol_rust_exporter_rejected_items",
		metric.WithDescription("Items the destination of a Rust exporter rejected in a partial success (the rest of the batch was delivered; these are not retried)"),
		metric.WithUnit("{item}"))
	if err != nil {
		return nil, nil, fmt.Errorf("rust exporter %q: %w", set.ID, err)
	}
	// The attributes exporterhelper puts on its own metrics (its ExporterKey and DataTypeKey):
	// the collector's meter provider adds none unless telemetry.newPipelineTelemetry is on, so
	// without them two exporters of one type, or the per-signal instances of one, would report
	// the same series.
	identity := []attribute.KeyValue{
		attribute.String("exporter", set.ID.String()),
		attribute.String("data_type", signal.String()),
	}
	return &rustExporter{
		instance:   rustcomponent.NewInstance(set.ID, config.rust, set.TelemetrySettings, set.BuildInfo, identity...),
		signal:     signal,
		logger:     set.Logger,
		rejected:   rejected,
		attributes: metric.WithAttributeSet(attribute.NewSet(identity...)),
	}, config, nil
}

// options are exporterhelper's options for this exporter: the standard settings, and the Rust
// instance's lifecycle (exporterhelper starts it before its queue and shuts it down after
// draining the queue).
func (e *rustExporter) options(config *Config) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithStart(e.instance.Start),
		exporterhelper.WithShutdown(e.instance.Shutdown),
		exporterhelper.WithTimeout(config.TimeoutConfig),
		exporterhelper.WithRetry(config.RetryConfig),
		exporterhelper.WithQueue(config.QueueConfig),
		// Go marshals the batch and Rust only reads the bytes.
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
	}
}

// The push functions marshal the batch as the Go OTLP exporters do (the bytes Rust reads are
// the OTLP export request they would send) and count its items as the collector does.

func (e *rustExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	batch, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		return e.marshalError(err)
	}
	return e.export(ctx, batch, td.SpanCount())
}

func (e *rustExporter) pushMetrics(ctx context.Context, md pmetric.Metrics) error {
	batch, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	if err != nil {
		return e.marshalError(err)
	}
	return e.export(ctx, batch, md.DataPointCount())
}

func (e *rustExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	batch, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if err != nil {
		return e.marshalError(err)
	}
	return e.export(ctx, batch, ld.LogRecordCount())
}

// marshalError is permanent: the same batch would not marshal the next time either.
func (e *rustExporter) marshalError(err error) error {
	return consumererror.NewPermanent(e.instance.Errorf("cannot marshal the batch: %w", err))
}

// export hands the batch to the Rust instance in one call (ctx's deadline, the attempt's
// `timeout`, and its cancellation reach Rust) and maps the outcome to what exporterhelper's
// retry and the collector's metrics understand:
//   - ok: nil.
//   - retryable: an error exporterhelper retries (retry_on_failure); with a retry-after, a
//     throttle error, so the next attempt waits at least that long.
//   - permanent: consumererror.NewPermanent, dropped without retry and counted in
//     otelcol_exporter_send_failed_*.
//   - partial: rejecting nothing, the same as ok; otherwise nil (the batch was delivered but
//     for the rejected items, which retrying would send twice), logged at Warn as Go OTLP
//     exporters log a partial success, and the rejected items counted in
//     otelcol_rust_exporter_rejected_items.
func (e *rustExporter) export(ctx context.Context, batch []byte, items int) error {
	handle := e.instance.Handle()
	if handle == 0 {
		return consumererror.NewPermanent(e.instance.Errorf("export while not started"))
	}
	result := rustffi.Export(ctx, handle, e.signal, batch, items)
	switch result.Outcome {
	case rustffi.ExportOK:
		return nil
	case rustffi.ExportRetryable:
		// Marked retryable for whoever inspects the error (exporterhelper v0.164.0's retry
		// sender retries every non-permanent error and reads only the throttle delay, so this
		// changes nothing there; the message is the same).
		err := consumererror.NewRetryableError(e.instance.Errorf("%s", result.Message))
		if result.RetryAfter > 0 {
			return exporterhelper.NewThrottleRetry(err, result.RetryAfter)
		}
		return err
	case rustffi.ExportPermanent:
		return consumererror.NewPermanent(e.instance.Errorf("%s", result.Message))
	case rustffi.ExportPartial:
		if result.Rejected == 0 {
			// Nothing was refused: a full success, neither logged nor counted. (Go otlphttp
			// still warns when such a response carries a message; rust_otlphttp answers
			// Partial only when something was rejected.)
			return nil
		}
		e.logger.Warn("Partial success response", zap.Uint64("rejected", result.Rejected), zap.String("reason", result.Message))
		e.rejected.Add(ctx, int64(min(result.Rejected, math.MaxInt64)), e.attributes)
		return nil
	default:
		return consumererror.NewPermanent(e.instance.Errorf("unknown export outcome %d: %s", result.Outcome, result.Message))
	}
}
