package rusttelemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// meterName prefixes the meter of each Rust extension type.
const meterName = "github.com/otelcol-rust/otelcol-rust/rust"

// BindMetrics exports the instruments the Rust instance behind h declared (as CreateAndStart
// answered them) through the scope's meter provider, on the meter of its type typ. One
// callback reads all of the instance's series once per collection: counters, up-down counters
// and gauges are observed; a histogram's new observations are replayed into a Go histogram
// with the same bucket boundaries (see replay). Close unregisters it.
//
// identity is added to every series the instance reports (over an attribute of the same key
// Rust set): the meter is per type, so instances of one type would otherwise report the same
// series, which the SDK merges.
func (s *Scope) BindMetrics(typ string, h rustffi.Handle, instruments []rustffi.Instrument, identity ...attribute.KeyValue) error {
	if len(instruments) == 0 {
		return nil
	}
	meter := s.meterProvider.Meter(meterName + "/" + typ)
	b := &binding{handle: h, instruments: instruments, identity: identity, seen: map[string]histogramState{}}
	b.observers = make([]any, len(instruments))
	var observables []metric.Observable
	var errs []error
	for i, inst := range instruments {
		var err error
		switch inst.Kind {
		case "counter":
			var c metric.Int64ObservableCounter
			c, err = meter.Int64ObservableCounter(inst.Name, metric.WithDescription(inst.Description), metric.WithUnit(inst.Unit))
			b.observers[i], observables = c, append(observables, c)
		case "up_down_counter":
			var c metric.Int64ObservableUpDownCounter
			c, err = meter.Int64ObservableUpDownCounter(inst.Name, metric.WithDescription(inst.Description), metric.WithUnit(inst.Unit))
			b.observers[i], observables = c, append(observables, c)
		case "gauge":
			var g metric.Float64ObservableGauge
			g, err = meter.Float64ObservableGauge(inst.Name, metric.WithDescription(inst.Description), metric.WithUnit(inst.Unit))
			b.observers[i], observables = g, append(observables, g)
		case "histogram":
			b.observers[i], err = meter.Float64Histogram(inst.Name, metric.WithDescription(inst.Description),
				metric.WithUnit(inst.Unit), metric.WithExplicitBucketBoundaries(inst.Buckets...))
		default:
			err = fmt.Errorf("unknown instrument kind %q", inst.Kind)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("instrument %q: %w", inst.Name, err))
		}
	}
	if len(observables) == 0 {
		// A meter calls back only for callbacks naming an observable. Histograms alone need
		// one to be replayed at collection time; it is never observed, so never exported.
		trigger, err := meter.Int64ObservableGauge("otelcol_rust.collect")
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		observables = append(observables, trigger)
	}
	reg, err := meter.RegisterCallback(b.collect, observables...)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = reg.Unregister()
		return errors.Join(errs...)
	}
	if s.metrics != nil {
		_ = s.metrics.Unregister()
	}
	s.metrics = reg
	return errors.Join(errs...)
}

// binding is one instance's instruments and what its histograms had at the last read.
type binding struct {
	handle      rustffi.Handle
	instruments []rustffi.Instrument
	observers   []any // per instrument: its Go instrument, nil if it could not be created
	identity    []attribute.KeyValue

	mu   sync.Mutex // a meter provider with several readers may collect concurrently
	seen map[string]histogramState
}

func (b *binding) collect(ctx context.Context, o metric.Observer) error {
	series, err := rustffi.ReadMetrics(b.handle)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range series {
		if s.Instrument < 0 || s.Instrument >= len(b.observers) {
			continue
		}
		attrs := metric.WithAttributeSet(attributes(s.Attributes, b.identity))
		// Switched on the declared kind: one SDK type may implement several instrument
		// interfaces.
		switch observer := b.observers[s.Instrument]; b.instruments[s.Instrument].Kind {
		case "counter", "up_down_counter":
			if inst, ok := observer.(metric.Int64Observable); ok {
				o.ObserveInt64(inst, clampInt64(s.Value), attrs)
			}
		case "gauge":
			if inst, ok := observer.(metric.Float64Observable); ok {
				// A gauge whose value is not a number (NaN crosses as null) is not observed.
				if v, err := s.Value.Float64(); err == nil {
					o.ObserveFloat64(inst, v, attrs)
				}
			}
		case "histogram":
			if inst, ok := observer.(metric.Float64Histogram); ok {
				key := seriesKey(s)
				bounds := b.instruments[s.Instrument].Buckets
				b.seen[key] = replay(b.seen[key], s, bounds, func(v float64) { inst.Record(ctx, v, attrs) })
			}
		}
	}
	return nil
}

// histogramState is a histogram series' cumulative bucket counts and sums at the last read.
type histogramState struct {
	counts []uint64
	sums   []float64
}

// replay records the observations a histogram series gained since prev into record: for a
// bucket with c new observations summing to s, c observations of s/c. The mean of values in
// a bucket lies in that bucket; float rounding can push it just past a boundary, so it is
// clamped into the bucket (bounds are its upper bounds, inclusive, as Rust's and the SDK's).
// Bucket counts and count are exact; the sum is exact up to that rounding; min and max become
// bucket means. A bucket whose sum moved without its count (Rust adds the sum first) keeps
// its old sum in the state, so the value is replayed with its count. It answers the state to
// pass next.
func replay(prev histogramState, s rustffi.Series, bounds []float64, record func(float64)) histogramState {
	n := len(s.BucketCounts)
	if len(prev.counts) != n || len(s.BucketSums) != n {
		prev = histogramState{counts: make([]uint64, n), sums: make([]float64, n)}
	}
	next := histogramState{counts: slices.Clone(s.BucketCounts), sums: slices.Clone(prev.sums)}
	for i, count := range s.BucketCounts {
		if count < prev.counts[i] {
			// Counts only grow; a smaller one is a new series under the same key.
			prev.counts[i], prev.sums[i] = 0, 0
		}
		c := count - prev.counts[i]
		if c == 0 {
			continue
		}
		next.sums[i] = s.BucketSums[i]
		mean := (s.BucketSums[i] - prev.sums[i]) / float64(c)
		if i < len(bounds) && mean > bounds[i] {
			mean = bounds[i]
		}
		if i > 0 && i-1 < len(bounds) && mean <= bounds[i-1] {
			mean = math.Nextafter(bounds[i-1], math.Inf(1))
		}
		for range c {
			record(mean)
		}
	}
	return next
}

// seriesKey identifies a series across reads: its instrument and its attributes in order.
func seriesKey(s rustffi.Series) string {
	var key strings.Builder
	key.WriteString(strconv.Itoa(s.Instrument))
	for _, kv := range s.Attributes {
		// With the type: the integer 200 and the string "200" are different series.
		fmt.Fprintf(&key, "\x00%s\x00%T\x00%v", kv.Key, kv.Value, kv.Value)
	}
	return key.String()
}

// attributes converts a Rust attribute list; integers stay integers where int64 holds them.
// identity comes last, so it wins over a Rust attribute of the same key (attribute.NewSet
// keeps the last value of a key).
func attributes(kvs []rustffi.KeyValue, identity []attribute.KeyValue) attribute.Set {
	list := make([]attribute.KeyValue, 0, len(kvs)+len(identity))
	for _, kv := range kvs {
		switch v := kv.Value.(type) {
		case string:
			list = append(list, attribute.String(kv.Key, v))
		case bool:
			list = append(list, attribute.Bool(kv.Key, v))
		case json.Number:
			if i, err := v.Int64(); err == nil {
				list = append(list, attribute.Int64(kv.Key, i))
			} else if f, err := v.Float64(); err == nil {
				list = append(list, attribute.Float64(kv.Key, f))
			} else {
				list = append(list, attribute.String(kv.Key, v.String()))
			}
		default:
			list = append(list, attribute.String(kv.Key, fmt.Sprint(v)))
		}
	}
	return attribute.NewSet(append(list, identity...)...)
}

// clampInt64 reads a counter value; a u64 above the int64 range saturates.
func clampInt64(n json.Number) int64 {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i
	}
	if _, err := strconv.ParseUint(string(n), 10, 64); err == nil {
		return math.MaxInt64
	}
	return 0
}

// registerLibraryMetrics registers the Rust library's counters on mp. logger reports a failure:
// library metrics are not worth failing a component's start for.
func registerLibraryMetrics(mp metric.MeterProvider, logger *zap.Logger) metric.Registration {
	meter := mp.Meter(meterName)
	calls, err1 := meter.Int64ObservableCounter("otelcol_rust_boundary_calls",
		metric.WithDescription("Calls from Go into the Rust library (not counting telemetry reads)."), metric.WithUnit("{call}"))
	errs, err2 := meter.Int64ObservableCounter("otelcol_rust_boundary_errors",
		metric.WithDescription("Calls into the Rust library that answered an error."), metric.WithUnit("{call}"))
	panics, err3 := meter.Int64ObservableCounter("otelcol_rust_panics_caught",
		metric.WithDescription("Panics the Rust library contained."), metric.WithUnit("{panic}"))
	live, err4 := meter.Int64ObservableUpDownCounter("otelcol_rust_live_instances",
		metric.WithDescription("Rust component instances started and not yet shut down."), metric.WithUnit("{instance}"))
	dropped, err5 := meter.Int64ObservableCounter("otelcol_rust_log_records_dropped",
		metric.WithDescription("Rust log records dropped because the buffer was full."), metric.WithUnit("{record}"))
	// The data path's own counts: exports are not boundary calls (they would drown the
	// lifecycle calls), so they have counters of their own.
	exports, err6 := meter.Int64ObservableCounter("otelcol_rust_exports",
		metric.WithDescription("Batches Go handed to Rust exporters, whatever their outcome."), metric.WithUnit("{batch}"))
	exportErrors, err7 := meter.Int64ObservableCounter("otelcol_rust_export_errors",
		metric.WithDescription("Exports that answered retryable or permanent (timeouts, cancellations and panics included)."), metric.WithUnit("{batch}"))
	exportPanics, err8 := meter.Int64ObservableCounter("otelcol_rust_export_panics",
		metric.WithDescription("Exports whose Rust exporter panicked (each answered permanent)."), metric.WithUnit("{panic}"))
	// Processors: one crossing per run of consecutive Rust processors, each running stages.
	crossings, err9 := meter.Int64ObservableCounter("otelcol_rust_process_crossings",
		metric.WithDescription("Batches Go handed to Rust processors: one per run of consecutive Rust processors."), metric.WithUnit("{batch}"))
	stages, err10 := meter.Int64ObservableCounter("otelcol_rust_process_stages",
		metric.WithDescription("Rust processor stages those crossings ran (stages per crossing is the fusion)."), metric.WithUnit("{stage}"))
	processErrors, err11 := meter.Int64ObservableCounter("otelcol_rust_process_errors",
		metric.WithDescription("Rust processor stages that answered retryable or permanent (panics included)."), metric.WithUnit("{stage}"))
	processPanics, err12 := meter.Int64ObservableCounter("otelcol_rust_process_panics",
		metric.WithDescription("Rust processor stages that panicked (each answered permanent)."), metric.WithUnit("{panic}"))
	// Receivers: batches Rust receivers handed to the Go pipeline, and the sends waiting.
	deliveries, err13 := meter.Int64ObservableCounter("otelcol_rust_receive_deliveries",
		metric.WithDescription("Batches Rust receivers handed to the Go pipeline (calls of the delivery callback)."), metric.WithUnit("{batch}"))
	accepted, err14 := meter.Int64ObservableCounter("otelcol_rust_receive_accepted",
		metric.WithDescription("Rust receivers' batches the pipeline accepted."), metric.WithUnit("{batch}"))
	refused, err15 := meter.Int64ObservableCounter("otelcol_rust_receive_refused",
		metric.WithDescription("Rust receivers' batches refused: retryable, permanent or malformed in Go, or refused in Rust (receiver shut down)."), metric.WithUnit("{batch}"))
	pending, err16 := meter.Int64ObservableUpDownCounter("otelcol_rust_receive_pending",
		metric.WithDescription("Rust receivers' sends waiting for or in a delivery slot now."), metric.WithUnit("{batch}"))
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7, err8, err9, err10, err11, err12, err13, err14, err15, err16); err != nil {
		logger.Warn("Cannot create the Rust library metrics", zap.Error(err))
		return nil
	}
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		counts, err := rustffi.LibraryMetrics()
		if err != nil {
			return err
		}
		o.ObserveInt64(calls, saturate(counts.BoundaryCalls))
		o.ObserveInt64(errs, saturate(counts.BoundaryErrors))
		o.ObserveInt64(panics, saturate(counts.PanicsCaught))
		o.ObserveInt64(live, saturate(counts.LiveInstances))
		o.ObserveInt64(dropped, saturate(counts.LogRecordsDropped))
		o.ObserveInt64(exports, saturate(counts.Exports))
		o.ObserveInt64(exportErrors, saturate(counts.ExportErrors))
		o.ObserveInt64(exportPanics, saturate(counts.ExportPanics))
		o.ObserveInt64(crossings, saturate(counts.ProcessCrossings))
		o.ObserveInt64(stages, saturate(counts.ProcessStages))
		o.ObserveInt64(processErrors, saturate(counts.ProcessErrors))
		o.ObserveInt64(processPanics, saturate(counts.ProcessPanics))
		o.ObserveInt64(deliveries, saturate(counts.ReceiveDeliveries))
		o.ObserveInt64(accepted, saturate(counts.ReceiveAccepted))
		o.ObserveInt64(refused, saturate(counts.ReceiveRefused))
		o.ObserveInt64(pending, saturate(counts.ReceivePending))
		return nil
	}, calls, errs, panics, live, dropped, exports, exportErrors, exportPanics, crossings, stages, processErrors, processPanics,
		deliveries, accepted, refused, pending)
	if err != nil {
		logger.Warn("Cannot register the Rust library metrics", zap.Error(err))
		return nil
	}
	return reg
}

func saturate(n uint64) int64 { return int64(min(n, math.MaxInt64)) }
