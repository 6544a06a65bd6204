package rustprocessor

import (
	"encoding/binary"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// What the Go side does with a Rust answer, per signal: the batch crosses as the OTLP export
// request pdata marshals; a new batch comes back the same way; edits and drops are applied in
// place, on the batch the pipeline handed over (the processor declares MutatesData).
//
// Attribute maps and items are addressed in the document order both sides agree on
// (docs/boundary.md; the SDK's AttributeMap): per resource, its attributes, then per scope its
// attributes (a missing resource or scope is one empty map: pdata always has both), then per
// item its attributes (a span's, then each of its events', then each of its links'; a data
// point's, for whichever data its metric has; a log record's).

// signalOps are one signal's operations on its pdata type T.
type signalOps[T comparable] struct {
	signal    rustffi.Signal
	marshal   func(T) ([]byte, error)
	unmarshal func([]byte) (T, error)
	items     func(T) int
	// eachMap calls yield with every attribute map of the batch, in document order, until it
	// answers false.
	eachMap func(T, func(pcommon.Map) bool)
	// keep removes the items for which kept(i) is false (i counting items in document order),
	// then every scope left without items, every resource left without scopes and (metrics)
	// every metric left without data points, as the contrib filterprocessor does.
	keep func(T, func(i int) bool)
}

var tracesOps = &signalOps[ptrace.Traces]{
	signal: rustffi.SignalTraces,
	marshal: func(td ptrace.Traces) ([]byte, error) {
		return ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	},
	unmarshal: func(data []byte) (ptrace.Traces, error) {
		req := ptraceotlp.NewExportRequest()
		err := req.UnmarshalProto(data)
		return req.Traces(), err
	},
	items: ptrace.Traces.SpanCount,
	eachMap: func(td ptrace.Traces, yield func(pcommon.Map) bool) {
		for _, rs := range td.ResourceSpans().All() {
			if !yield(rs.Resource().Attributes()) {
				return
			}
			for _, ss := range rs.ScopeSpans().All() {
				if !yield(ss.Scope().Attributes()) {
					return
				}
				for _, span := range ss.Spans().All() {
					if !yield(span.Attributes()) {
						return
					}
					for _, event := range span.Events().All() {
						if !yield(event.Attributes()) {
							return
						}
					}
					for _, link := range span.Links().All() {
						if !yield(link.Attributes()) {
							return
						}
					}
				}
			}
		}
	},
	keep: func(td ptrace.Traces, kept func(int) bool) {
		i := 0
		td.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
			rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
				ss.Spans().RemoveIf(func(ptrace.Span) bool {
					i++
					return !kept(i - 1)
				})
				return ss.Spans().Len() == 0
			})
			return rs.ScopeSpans().Len() == 0
		})
	},
}

var metricsOps = &signalOps[pmetric.Metrics]{
	signal: rustffi.SignalMetrics,
	marshal: func(md pmetric.Metrics) ([]byte, error) {
		return pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	},
	unmarshal: func(data []byte) (pmetric.Metrics, error) {
		req := pmetricotlp.NewExportRequest()
		err := req.UnmarshalProto(data)
		return req.Metrics(), err
	},
	items: pmetric.Metrics.DataPointCount,
	eachMap: func(md pmetric.Metrics, yield func(pcommon.Map) bool) {
		for _, rm := range md.ResourceMetrics().All() {
			if !yield(rm.Resource().Attributes()) {
				return
			}
			for _, sm := range rm.ScopeMetrics().All() {
				if !yield(sm.Scope().Attributes()) {
					return
				}
				for _, m := range sm.Metrics().All() {
					if !eachPointMap(m, yield) {
						return
					}
				}
			}
		}
	},
	keep: func(md pmetric.Metrics, kept func(int) bool) {
		i := 0
		drop := func() bool {
			i++
			return !kept(i - 1)
		}
		md.ResourceMetrics().RemoveIf(func(rm pmetric.ResourceMetrics) bool {
			rm.ScopeMetrics().RemoveIf(func(sm pmetric.ScopeMetrics) bool {
				sm.Metrics().RemoveIf(func(m pmetric.Metric) bool {
					// A metric without data had no point to lose: kept, as filterprocessor does.
					return m.Type() != pmetric.MetricTypeEmpty && keepPoints(m, drop) == 0
				})
				return sm.Metrics().Len() == 0
			})
			return rm.ScopeMetrics().Len() == 0
		})
	},
}

// eachPointMap yields the attributes of each data point of m, whichever data it has.
func eachPointMap(m pmetric.Metric, yield func(pcommon.Map) bool) bool {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return yieldAll(m.Gauge().DataPoints().All(), pmetric.NumberDataPoint.Attributes, yield)
	case pmetric.MetricTypeSum:
		return yieldAll(m.Sum().DataPoints().All(), pmetric.NumberDataPoint.Attributes, yield)
	case pmetric.MetricTypeHistogram:
		return yieldAll(m.Histogram().DataPoints().All(), pmetric.HistogramDataPoint.Attributes, yield)
	case pmetric.MetricTypeExponentialHistogram:
		return yieldAll(m.ExponentialHistogram().DataPoints().All(), pmetric.ExponentialHistogramDataPoint.Attributes, yield)
	case pmetric.MetricTypeSummary:
		return yieldAll(m.Summary().DataPoints().All(), pmetric.SummaryDataPoint.Attributes, yield)
	}
	return true
}

func yieldAll[P any](points func(func(int, P) bool), attributes func(P) pcommon.Map, yield func(pcommon.Map) bool) bool {
	for _, point := range points {
		if !yield(attributes(point)) {
			return false
		}
	}
	return true
}

// keepPoints removes the data points of m for which drop (called once per point, in order)
// answers true, and answers how many are left.
func keepPoints(m pmetric.Metric, drop func() bool) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		points := m.Gauge().DataPoints()
		points.RemoveIf(func(pmetric.NumberDataPoint) bool { return drop() })
		return points.Len()
	case pmetric.MetricTypeSum:
		points := m.Sum().DataPoints()
		points.RemoveIf(func(pmetric.NumberDataPoint) bool { return drop() })
		return points.Len()
	case pmetric.MetricTypeHistogram:
		points := m.Histogram().DataPoints()
		points.RemoveIf(func(pmetric.HistogramDataPoint) bool { return drop() })
		return points.Len()
	case pmetric.MetricTypeExponentialHistogram:
		points := m.ExponentialHistogram().DataPoints()
		points.RemoveIf(func(pmetric.ExponentialHistogramDataPoint) bool { return drop() })
		return points.Len()
	case pmetric.MetricTypeSummary:
		points := m.Summary().DataPoints()
		points.RemoveIf(func(pmetric.SummaryDataPoint) bool { return drop() })
		return points.Len()
	}
	return 0 // a metric without data has no data points
}

var logsOps = &signalOps[plog.Logs]{
	signal: rustffi.SignalLogs,
	marshal: func(ld plog.Logs) ([]byte, error) {
		return plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	},
	unmarshal: func(data []byte) (plog.Logs, error) {
		req := plogotlp.NewExportRequest()
		err := req.UnmarshalProto(data)
		return req.Logs(), err
	},
	items: plog.Logs.LogRecordCount,
	eachMap: func(ld plog.Logs, yield func(pcommon.Map) bool) {
		for _, rl := range ld.ResourceLogs().All() {
			if !yield(rl.Resource().Attributes()) {
				return
			}
			for _, sl := range rl.ScopeLogs().All() {
				if !yield(sl.Scope().Attributes()) {
					return
				}
				for _, record := range sl.LogRecords().All() {
					if !yield(record.Attributes()) {
						return
					}
				}
			}
		}
	},
	keep: func(ld plog.Logs, kept func(int) bool) {
		i := 0
		ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
			rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
				sl.LogRecords().RemoveIf(func(plog.LogRecord) bool {
					i++
					return !kept(i - 1)
				})
				return sl.LogRecords().Len() == 0
			})
			return rl.ScopeLogs().Len() == 0
		})
	},
}

// materialise turns what a run of Rust processors answered (result, status ok) into the batch
// the pipeline goes on with: the replacement, or data with the edits applied in place; then
// the keep bitmap. A malformed answer is an error (the caller makes it permanent): data may
// then be partly edited, but it is not passed on.
func materialise[T comparable](ops *signalOps[T], data T, result *rustffi.ProcessResult) (T, error) {
	if result.Replaced {
		replaced, err := ops.unmarshal(result.Replacement)
		if err != nil {
			return data, fmt.Errorf("the new batch Rust answered does not decode: %w", err)
		}
		data = replaced
	} else if len(result.Edits) > 0 {
		if err := applyEdits(result.Edits, func(yield func(pcommon.Map) bool) { ops.eachMap(data, yield) }); err != nil {
			return data, err
		}
	}
	if result.HasKeep {
		if err := applyKeep(ops, data, result.Keep, result.KeepItems); err != nil {
			return data, err
		}
	}
	return data, nil
}

// applyKeep removes the items whose bit in keep is 0, with the containers they leave empty;
// nothing at all when every bit is 1. The bitmap must cover exactly the batch's items.
func applyKeep[T comparable](ops *signalOps[T], data T, keep []byte, bits uint64) error {
	if items := ops.items(data); bits != uint64(items) {
		return fmt.Errorf("the keep bitmap Rust answered has %d items, the batch %d", bits, items)
	}
	if uint64(len(keep))*8 < bits {
		return fmt.Errorf("the keep bitmap Rust answered has %d bytes for %d items", len(keep), bits)
	}
	kept := func(i int) bool { return keep[i/8]&(1<<(i%8)) != 0 }
	dropped := false
	for i := 0; uint64(i) < bits; i++ {
		if !kept(i) {
			dropped = true
			break
		}
	}
	if dropped {
		ops.keep(data, kept)
	}
	return nil
}

// The edit script's operations (see editScript).
const (
	opSetStr = 0
	opSetInt = 1
	opRemove = 2
)

// edit is one record of an edit script; key and str alias the script.
type edit struct {
	mapIndex uint32
	op       byte
	key      []byte
	str      []byte
	int      int64
}

// editScript reads an edit script: records `u32 map (LE) | u8 op (0 set_str, 1 set_int,
// 2 remove) | u32 key_len | key |`, then for set_str `u32 len | bytes`, for set_int
// `i64 (LE)`, sorted by map index (ascending; records of one map in the order given).
type editScript struct {
	rest []byte
	last uint32 // the map index of the previous record
	read bool   // a record was read
}

var errTruncated = errors.New("truncated record")

// next reads the next record; ok is false at the end of the script.
func (s *editScript) next() (e edit, ok bool, err error) {
	if len(s.rest) == 0 {
		return edit{}, false, nil
	}
	b := s.rest
	if len(b) < 9 {
		return edit{}, false, errTruncated
	}
	e.mapIndex = binary.LittleEndian.Uint32(b)
	e.op = b[4]
	keyLen := uint64(binary.LittleEndian.Uint32(b[5:]))
	b = b[9:]
	if uint64(len(b)) < keyLen {
		return edit{}, false, errTruncated
	}
	e.key, b = b[:keyLen], b[keyLen:]
	switch e.op {
	case opSetStr:
		if len(b) < 4 {
			return edit{}, false, errTruncated
		}
		n := uint64(binary.LittleEndian.Uint32(b))
		b = b[4:]
		if uint64(len(b)) < n {
			return edit{}, false, errTruncated
		}
		e.str, b = b[:n], b[n:]
	case opSetInt:
		if len(b) < 8 {
			return edit{}, false, errTruncated
		}
		e.int = int64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	case opRemove:
	default:
		return edit{}, false, fmt.Errorf("unknown operation %d", e.op)
	}
	if s.read && e.mapIndex < s.last {
		return edit{}, false, fmt.Errorf("map %d after map %d (records must be sorted by map)", e.mapIndex, s.last)
	}
	s.rest, s.last, s.read = b, e.mapIndex, true
	return e, true, nil
}

// checkEdits reads the whole script without applying it, and answers the number of its
// records and the highest map index it names.
func checkEdits(script []byte) (records int, highest uint32, err error) {
	s := editScript{rest: script}
	for {
		e, ok, err := s.next()
		if err != nil {
			return 0, 0, fmt.Errorf("malformed edit script from Rust (record %d): %w", records, err)
		}
		if !ok {
			return records, highest, nil
		}
		records++
		highest = max(highest, e.mapIndex)
	}
}

// applyEdits applies script to the maps eachMap yields (in document order), with the pdata
// calls whose semantics the Rust side mirrors: set_str is Map.PutStr, set_int Map.PutInt,
// remove Map.Remove. The script is checked whole first, so a malformed one changes nothing;
// an edit of a map past the batch's last is an error (the maps before it are edited).
func applyEdits(script []byte, eachMap func(func(pcommon.Map) bool)) error {
	records, highest, err := checkEdits(script)
	if err != nil || records == 0 {
		return err
	}
	s := editScript{rest: script}
	pending, _, _ := s.next() // checked above
	index, left := uint32(0), records
	eachMap(func(m pcommon.Map) bool {
		for left > 0 && pending.mapIndex == index {
			switch pending.op {
			case opSetStr:
				// string() copies: the script is Rust's memory, released after the run.
				m.PutStr(string(pending.key), string(pending.str))
			case opSetInt:
				m.PutInt(string(pending.key), pending.int)
			case opRemove:
				m.Remove(string(pending.key))
			}
			left--
			if left > 0 {
				pending, _, _ = s.next()
			}
		}
		index++
		return left > 0
	})
	if left > 0 {
		return fmt.Errorf("the edit script from Rust names attribute map %d, the batch has %d", highest, index)
	}
	return nil
}
