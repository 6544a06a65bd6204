package contrib

import (
	"context"
	"errors"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottldatapoint"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottllog"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottlspan"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/ottlfuncs"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
)

// ottl_filter is the Go side of every rust_filter comparison: the contrib filterprocessor's
// item filtering, with the real OTTL engine, on the processorhelper.
//
// Why not filterprocessor itself: filterprocessor v0.164.0 (and every release since v0.162.0)
// imports github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/xprofile,
// which the Go module proxy these machines reach refuses for every version (403 "not
// available"), and it requires pkg/ottl v1.2.0, refused too; so it cannot be built here. This
// processor takes the same config keys (traces.span, metrics.datapoint, logs.log_record: OTTL
// conditions, any one matching drops the item), parses them with pkg/ottl v1.3.0 (built on the
// same collector release, v1.70.0/v0.164.0) and the standard converters (IsMatch, ...), with
// filterprocessor's default error mode (ignore), and removes items, then the scopes, metrics
// and resources left empty, exactly as filterprocessor v0.164.0's processSkipExpression does
// (traces.go, metrics.go, logs.go), returning ErrSkipProcessingData when nothing is left.
const ottlFilterType = "ottl_filter"

type ottlFilterConfig struct {
	Traces struct {
		Span []string `mapstructure:"span"`
	} `mapstructure:"traces"`
	Metrics struct {
		DataPoint []string `mapstructure:"datapoint"`
	} `mapstructure:"metrics"`
	Logs struct {
		LogRecord []string `mapstructure:"log_record"`
	} `mapstructure:"logs"`
}

func newOTTLFilterFactory() processor.Factory {
	return processor.NewFactory(component.MustNewType(ottlFilterType),
		func() component.Config { return &ottlFilterConfig{} },
		processor.WithTraces(createOTTLFilterTraces, component.StabilityLevelDevelopment),
		processor.WithMetrics(createOTTLFilterMetrics, component.StabilityLevelDevelopment),
		processor.WithLogs(createOTTLFilterLogs, component.StabilityLevelDevelopment))
}

var mutates = processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true})

func createOTTLFilterTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	parser, err := ottlspan.NewParser(ottlfuncs.StandardConverters[*ottlspan.TransformContext](), set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	conditions, err := parser.ParseConditions(cfg.(*ottlFilterConfig).Traces.Span)
	if err != nil {
		return nil, err
	}
	skip := ottlspan.NewConditionSequence(conditions, set.TelemetrySettings, ottlspan.WithConditionSequenceErrorMode(ottl.IgnoreError))
	return processorhelper.NewTraces(ctx, set, cfg, next, func(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
		if len(conditions) == 0 {
			return td, nil
		}
		var errs error
		td.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
			rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
				ss.Spans().RemoveIf(func(span ptrace.Span) bool {
					tCtx := ottlspan.NewTransformContext(rs, ss, span)
					defer tCtx.Close()
					drop, err := skip.Eval(ctx, tCtx)
					errs = errors.Join(errs, err)
					return err == nil && drop
				})
				return ss.Spans().Len() == 0
			})
			return rs.ScopeSpans().Len() == 0
		})
		return finishFilter(td, td.ResourceSpans().Len(), errs)
	}, mutates)
}

func createOTTLFilterMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	parser, err := ottldatapoint.NewParser(ottlfuncs.StandardConverters[*ottldatapoint.TransformContext](), set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	conditions, err := parser.ParseConditions(cfg.(*ottlFilterConfig).Metrics.DataPoint)
	if err != nil {
		return nil, err
	}
	skip := ottldatapoint.NewConditionSequence(conditions, set.TelemetrySettings, ottldatapoint.WithConditionSequenceErrorMode(ottl.IgnoreError))
	return processorhelper.NewMetrics(ctx, set, cfg, next, func(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
		if len(conditions) == 0 {
			return md, nil
		}
		var errs error
		md.ResourceMetrics().RemoveIf(func(rm pmetric.ResourceMetrics) bool {
			rm.ScopeMetrics().RemoveIf(func(sm pmetric.ScopeMetrics) bool {
				sm.Metrics().RemoveIf(func(m pmetric.Metric) bool {
					drop := func(dp any) bool {
						tCtx := ottldatapoint.NewTransformContext(rm, sm, m, dp)
						defer tCtx.Close()
						drop, err := skip.Eval(ctx, tCtx)
						errs = errors.Join(errs, err)
						return err == nil && drop
					}
					switch m.Type() {
					case pmetric.MetricTypeGauge:
						m.Gauge().DataPoints().RemoveIf(func(dp pmetric.NumberDataPoint) bool { return drop(dp) })
						return m.Gauge().DataPoints().Len() == 0
					case pmetric.MetricTypeSum:
						m.Sum().DataPoints().RemoveIf(func(dp pmetric.NumberDataPoint) bool { return drop(dp) })
						return m.Sum().DataPoints().Len() == 0
					case pmetric.MetricTypeHistogram:
						m.Histogram().DataPoints().RemoveIf(func(dp pmetric.HistogramDataPoint) bool { return drop(dp) })
						return m.Histogram().DataPoints().Len() == 0
					case pmetric.MetricTypeExponentialHistogram:
						m.ExponentialHistogram().DataPoints().RemoveIf(func(dp pmetric.ExponentialHistogramDataPoint) bool { return drop(dp) })
						return m.ExponentialHistogram().DataPoints().Len() == 0
					case pmetric.MetricTypeSummary:
						m.Summary().DataPoints().RemoveIf(func(dp pmetric.SummaryDataPoint) bool { return drop(dp) })
						return m.Summary().DataPoints().Len() == 0
					default:
						return false
					}
				})
				return sm.Metrics().Len() == 0
			})
			return rm.ScopeMetrics().Len() == 0
		})
		return finishFilter(md, md.ResourceMetrics().Len(), errs)
	}, mutates)
}

func createOTTLFilterLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	parser, err := ottllog.NewParser(ottlfuncs.StandardConverters[*ottllog.TransformContext](), set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	conditions, err := parser.ParseConditions(cfg.(*ottlFilterConfig).Logs.LogRecord)
	if err != nil {
		return nil, err
	}
	skip := ottllog.NewConditionSequence(conditions, set.TelemetrySettings, ottllog.WithConditionSequenceErrorMode(ottl.IgnoreError))
	return processorhelper.NewLogs(ctx, set, cfg, next, func(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
		if len(conditions) == 0 {
			return ld, nil
		}
		var errs error
		ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
			rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
				sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
					tCtx := ottllog.NewTransformContext(rl, sl, lr)
					defer tCtx.Close()
					drop, err := skip.Eval(ctx, tCtx)
					errs = errors.Join(errs, err)
					return err == nil && drop
				})
				return sl.LogRecords().Len() == 0
			})
			return rl.ScopeLogs().Len() == 0
		})
		return finishFilter(ld, ld.ResourceLogs().Len(), errs)
	}, mutates)
}

// finishFilter is filterprocessor's ending: an evaluation error is the batch's error (with
// error mode ignore, OTTL has logged and swallowed it already), an empty batch is not passed on.
func finishFilter[T any](data T, resources int, errs error) (T, error) {
	if errs != nil {
		return data, errs
	}
	if resources == 0 {
		return data, processorhelper.ErrSkipProcessingData
	}
	return data, nil
}
