//go:build otelcolrust_testcomponents

package reliability

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// generator makes varied telemetry from a seed: every attribute value type (nested ones
// included), events, links, every metric type, log bodies of every kind. Every span, data
// point and log record carries a unique `test.seq` attribute, so that an item lost or
// delivered twice shows in a comparison.
type generator struct {
	rng *rand.Rand
	seq int64
}

func newGenerator(seed uint64) *generator {
	return &generator{rng: rand.New(rand.NewPCG(seed, 0x0e7e1))}
}

func (g *generator) nextSeq() int64 {
	g.seq++
	return g.seq
}

func (g *generator) text(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzäöü✓ 0123456789"
	runes := []rune(letters)
	var out strings.Builder
	for range n {
		out.WriteRune(runes[g.rng.IntN(len(runes))])
	}
	return out.String()
}

func (g *generator) bytes(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(g.rng.Uint32())
	}
	return out
}

func (g *generator) traceID() pcommon.TraceID {
	var id pcommon.TraceID
	copy(id[:], g.bytes(16))
	return id
}

func (g *generator) spanID() pcommon.SpanID {
	var id pcommon.SpanID
	copy(id[:], g.bytes(8))
	return id
}

// value sets v to a random value of any type; maps and slices nest up to depth.
func (g *generator) value(v pcommon.Value, depth int) {
	kinds := 6
	if depth > 0 {
		kinds = 8
	}
	switch g.rng.IntN(kinds) {
	case 0:
		v.SetStr(g.text(g.rng.IntN(24)))
	case 1:
		v.SetBool(g.rng.IntN(2) == 0)
	case 2:
		v.SetInt(g.rng.Int64() - math.MaxInt64/2)
	case 3:
		v.SetDouble([]float64{g.rng.NormFloat64(), math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1)}[g.rng.IntN(5)])
	case 4:
		v.SetEmptyBytes().FromRaw(g.bytes(g.rng.IntN(16)))
	case 5:
		// Empty: no value set.
	case 6:
		s := v.SetEmptySlice()
		for range g.rng.IntN(4) {
			g.value(s.AppendEmpty(), depth-1)
		}
	case 7:
		g.attributes(v.SetEmptyMap(), g.rng.IntN(4), depth-1)
	}
}

// attributes puts n random attributes into m (nested up to depth), then one of every type.
func (g *generator) attributes(m pcommon.Map, n, depth int) {
	for i := range n {
		g.value(m.PutEmpty(fmt.Sprintf("attr.%d.%s", i, g.text(3))), depth)
	}
	m.PutStr("every.str", "ünïcode ✓ "+g.text(8))
	m.PutBool("every.bool", true)
	m.PutInt("every.int", math.MinInt64)
	m.PutDouble("every.double", -0.5)
	m.PutEmptyBytes("every.bytes").FromRaw([]byte{0, 0xff, 0x80})
	slice := m.PutEmptySlice("every.slice")
	slice.AppendEmpty().SetStr("s")
	slice.AppendEmpty().SetInt(1)
	slice.AppendEmpty().SetEmptyMap().PutBool("nested", false)
	nested := m.PutEmptyMap("every.map")
	nested.PutEmptySlice("inner").AppendEmpty().SetDouble(2.5)
	nested.PutEmptyMap("deeper").PutEmpty("empty")
	m.PutEmpty("every.empty")
}

func (g *generator) resource(r pcommon.Resource) {
	g.attributes(r.Attributes(), 1+g.rng.IntN(6), 2)
	r.SetDroppedAttributesCount(uint32(g.rng.IntN(3)))
}

func (g *generator) scope(s pcommon.InstrumentationScope) {
	s.SetName("scope." + g.text(5))
	s.SetVersion(g.text(3))
	g.attributes(s.Attributes(), g.rng.IntN(3), 1)
	s.SetDroppedAttributesCount(uint32(g.rng.IntN(2)))
}

func (g *generator) timestamp() pcommon.Timestamp {
	return pcommon.Timestamp(1_700_000_000_000_000_000 + g.rng.Uint64N(1e15))
}

// traces is one batch: 1-3 resources of 1-2 scopes of 1-5 spans each, with events and links.
func (g *generator) traces() ptrace.Traces {
	td := ptrace.NewTraces()
	for range 1 + g.rng.IntN(3) {
		rs := td.ResourceSpans().AppendEmpty()
		g.resource(rs.Resource())
		rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
		for range 1 + g.rng.IntN(2) {
			ss := rs.ScopeSpans().AppendEmpty()
			g.scope(ss.Scope())
			ss.SetSchemaUrl(g.text(4))
			for range 1 + g.rng.IntN(5) {
				g.span(ss.Spans().AppendEmpty())
			}
		}
	}
	return td
}

func (g *generator) span(span ptrace.Span) {
	span.SetTraceID(g.traceID())
	span.SetSpanID(g.spanID())
	span.SetParentSpanID(g.spanID())
	span.TraceState().FromRaw("vendor=" + g.text(4))
	span.SetFlags(g.rng.Uint32())
	span.SetName("span " + g.text(8))
	span.SetKind(ptrace.SpanKind(g.rng.IntN(6)))
	start := g.timestamp()
	span.SetStartTimestamp(start)
	span.SetEndTimestamp(start + pcommon.Timestamp(g.rng.IntN(1e9)))
	g.attributes(span.Attributes(), g.rng.IntN(40), 3)
	span.Attributes().PutInt("test.seq", g.nextSeq())
	span.SetDroppedAttributesCount(uint32(g.rng.IntN(5)))
	for range g.rng.IntN(4) {
		event := span.Events().AppendEmpty()
		event.SetName("event " + g.text(4))
		event.SetTimestamp(g.timestamp())
		g.attributes(event.Attributes(), g.rng.IntN(5), 1)
		event.SetDroppedAttributesCount(uint32(g.rng.IntN(2)))
	}
	span.SetDroppedEventsCount(uint32(g.rng.IntN(2)))
	for range g.rng.IntN(3) {
		link := span.Links().AppendEmpty()
		link.SetTraceID(g.traceID())
		link.SetSpanID(g.spanID())
		link.TraceState().FromRaw("k=" + g.text(3))
		link.SetFlags(g.rng.Uint32())
		g.attributes(link.Attributes(), g.rng.IntN(4), 1)
		link.SetDroppedAttributesCount(uint32(g.rng.IntN(2)))
	}
	span.SetDroppedLinksCount(uint32(g.rng.IntN(2)))
	span.Status().SetCode(ptrace.StatusCode(g.rng.IntN(3)))
	span.Status().SetMessage(g.text(6))
}

// metrics is one batch: 1-2 resources of 1-2 scopes, each with a gauge, a sum, a histogram,
// an exponential histogram and a summary of 1-3 data points.
func (g *generator) metrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	for range 1 + g.rng.IntN(2) {
		rm := md.ResourceMetrics().AppendEmpty()
		g.resource(rm.Resource())
		rm.SetSchemaUrl(g.text(4))
		for range 1 + g.rng.IntN(2) {
			sm := rm.ScopeMetrics().AppendEmpty()
			g.scope(sm.Scope())
			for _, kind := range []pmetric.MetricType{
				pmetric.MetricTypeGauge, pmetric.MetricTypeSum, pmetric.MetricTypeHistogram,
				pmetric.MetricTypeExponentialHistogram, pmetric.MetricTypeSummary,
			} {
				g.metric(sm.Metrics().AppendEmpty(), kind)
			}
		}
	}
	return md
}

func (g *generator) metric(m pmetric.Metric, kind pmetric.MetricType) {
	m.SetName(strings.ToLower(kind.String()) + "." + g.text(5))
	m.SetDescription(g.text(10))
	m.SetUnit([]string{"1", "ms", "By", "{request}"}[g.rng.IntN(4)])
	g.attributes(m.Metadata(), g.rng.IntN(2), 0)
	points := 1 + g.rng.IntN(3)
	temporality := pmetric.AggregationTemporality(1 + g.rng.IntN(2))
	switch kind {
	case pmetric.MetricTypeGauge:
		for range points {
			g.numberPoint(m.SetEmptyGauge().DataPoints().AppendEmpty())
		}
	case pmetric.MetricTypeSum:
		sum := m.SetEmptySum()
		sum.SetAggregationTemporality(temporality)
		sum.SetIsMonotonic(g.rng.IntN(2) == 0)
		for range points {
			g.numberPoint(sum.DataPoints().AppendEmpty())
		}
	case pmetric.MetricTypeHistogram:
		histogram := m.SetEmptyHistogram()
		histogram.SetAggregationTemporality(temporality)
		for range points {
			p := histogram.DataPoints().AppendEmpty()
			g.pointCommon(p.Attributes(), p.SetStartTimestamp, p.SetTimestamp)
			p.ExplicitBounds().FromRaw([]float64{0, 5, 10, 100})
			p.BucketCounts().FromRaw([]uint64{1, 2, 3, 4, 5})
			p.SetCount(15)
			p.SetSum(g.rng.Float64() * 1000)
			p.SetMin(-1)
			p.SetMax(1000)
			p.SetFlags(pmetric.DataPointFlags(g.rng.IntN(2)))
			g.exemplars(p.Exemplars())
		}
	case pmetric.MetricTypeExponentialHistogram:
		histogram := m.SetEmptyExponentialHistogram()
		histogram.SetAggregationTemporality(temporality)
		for range points {
			p := histogram.DataPoints().AppendEmpty()
			g.pointCommon(p.Attributes(), p.SetStartTimestamp, p.SetTimestamp)
			p.SetScale(int32(g.rng.IntN(20) - 10))
			p.SetZeroCount(2)
			p.SetZeroThreshold(1e-9)
			p.Positive().SetOffset(int32(g.rng.IntN(10) - 5))
			p.Positive().BucketCounts().FromRaw([]uint64{1, 0, 3})
			p.Negative().SetOffset(-3)
			p.Negative().BucketCounts().FromRaw([]uint64{4})
			p.SetCount(10)
			p.SetSum(-3.25)
			p.SetMin(-8)
			p.SetMax(64)
			g.exemplars(p.Exemplars())
		}
	case pmetric.MetricTypeSummary:
		summary := m.SetEmptySummary()
		for range points {
			p := summary.DataPoints().AppendEmpty()
			g.pointCommon(p.Attributes(), p.SetStartTimestamp, p.SetTimestamp)
			p.SetCount(uint64(g.rng.IntN(100)))
			p.SetSum(g.rng.Float64())
			for _, q := range []float64{0, 0.5, 0.99, 1} {
				quantile := p.QuantileValues().AppendEmpty()
				quantile.SetQuantile(q)
				quantile.SetValue(g.rng.Float64() * 10)
			}
		}
	}
}

func (g *generator) pointCommon(attributes pcommon.Map, setStart, setTime func(pcommon.Timestamp)) {
	g.attributes(attributes, g.rng.IntN(6), 1)
	attributes.PutInt("test.seq", g.nextSeq())
	start := g.timestamp()
	setStart(start)
	setTime(start + 1)
}

func (g *generator) numberPoint(p pmetric.NumberDataPoint) {
	g.pointCommon(p.Attributes(), p.SetStartTimestamp, p.SetTimestamp)
	if g.rng.IntN(2) == 0 {
		p.SetIntValue(g.rng.Int64())
	} else {
		p.SetDoubleValue(g.rng.NormFloat64())
	}
	g.exemplars(p.Exemplars())
}

func (g *generator) exemplars(exemplars pmetric.ExemplarSlice) {
	for range g.rng.IntN(2) {
		e := exemplars.AppendEmpty()
		e.SetTimestamp(g.timestamp())
		e.SetDoubleValue(g.rng.Float64())
		e.SetTraceID(g.traceID())
		e.SetSpanID(g.spanID())
		g.attributes(e.FilteredAttributes(), 1, 0)
	}
}

// logs is one batch: 1-2 resources of 1-2 scopes of log records whose bodies take every kind.
func (g *generator) logs() plog.Logs {
	ld := plog.NewLogs()
	for range 1 + g.rng.IntN(2) {
		rl := ld.ResourceLogs().AppendEmpty()
		g.resource(rl.Resource())
		for range 1 + g.rng.IntN(2) {
			sl := rl.ScopeLogs().AppendEmpty()
			g.scope(sl.Scope())
			sl.SetSchemaUrl(g.text(3))
			for kind := range 8 { // one record per body kind
				g.logRecord(sl.LogRecords().AppendEmpty(), kind)
			}
		}
	}
	return ld
}

func (g *generator) logRecord(record plog.LogRecord, kind int) {
	record.SetTimestamp(g.timestamp())
	record.SetObservedTimestamp(g.timestamp())
	record.SetSeverityNumber(plog.SeverityNumber(g.rng.IntN(25)))
	record.SetSeverityText([]string{"", "INFO", "ERROR", "debug"}[g.rng.IntN(4)])
	record.SetTraceID(g.traceID())
	record.SetSpanID(g.spanID())
	record.SetFlags(plog.LogRecordFlags(g.rng.IntN(2)))
	record.SetEventName(g.text(5))
	g.attributes(record.Attributes(), g.rng.IntN(10), 2)
	record.Attributes().PutInt("test.seq", g.nextSeq())
	record.SetDroppedAttributesCount(uint32(g.rng.IntN(3)))
	body := record.Body()
	switch kind {
	case 0:
		body.SetStr("log line ✓ " + g.text(40))
	case 1:
		body.SetInt(g.rng.Int64())
	case 2:
		body.SetDouble(g.rng.NormFloat64())
	case 3:
		body.SetBool(true)
	case 4:
		body.SetEmptyBytes().FromRaw(g.bytes(32))
	case 5:
		s := body.SetEmptySlice()
		for range 3 {
			g.value(s.AppendEmpty(), 2)
		}
	case 6:
		g.attributes(body.SetEmptyMap(), 3, 2)
	case 7:
		// An empty body.
	}
}

// The comparison: pdata marshalled to protobuf by pdata's own marshaller (deterministic:
// pdata keeps the order of every list and map) compared as multisets, per batch and per item.

// batchKeys answers each batch's protobuf bytes, sorted.
func batchKeys[T any](batches []T, marshal func(T) ([]byte, error)) []string {
	keys := make([]string, 0, len(batches))
	for _, batch := range batches {
		keys = append(keys, string(mustMarshal(marshal(batch))))
	}
	slices.Sort(keys)
	return keys
}

func traceBatchKeys(batches []ptrace.Traces) []string {
	return batchKeys(batches, (&ptrace.ProtoMarshaler{}).MarshalTraces)
}

func metricBatchKeys(batches []pmetric.Metrics) []string {
	return batchKeys(batches, (&pmetric.ProtoMarshaler{}).MarshalMetrics)
}

func logBatchKeys(batches []plog.Logs) []string {
	return batchKeys(batches, (&plog.ProtoMarshaler{}).MarshalLogs)
}

// spanItems answers every span as a batch of its own (with its resource and scope), in JSON,
// sorted: the unit in which a difference is reported.
func spanItems(batches []ptrace.Traces) []string {
	var items []string
	for _, td := range batches {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, span := range ss.Spans().All() {
					one := ptrace.NewTraces()
					ors := one.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(ors.Resource())
					ors.SetSchemaUrl(rs.SchemaUrl())
					oss := ors.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(oss.Scope())
					oss.SetSchemaUrl(ss.SchemaUrl())
					span.CopyTo(oss.Spans().AppendEmpty())
					items = append(items, string(mustMarshal((&ptrace.JSONMarshaler{}).MarshalTraces(one))))
				}
			}
		}
	}
	slices.Sort(items)
	return items
}

// pointItems answers every data point as a batch of its own (resource, scope, the metric with
// that point only), in JSON, sorted.
func pointItems(batches []pmetric.Metrics) []string {
	var items []string
	for _, md := range batches {
		for _, rm := range md.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					for i := range dataPoints(m) {
						one := pmetric.NewMetrics()
						orm := one.ResourceMetrics().AppendEmpty()
						rm.Resource().CopyTo(orm.Resource())
						orm.SetSchemaUrl(rm.SchemaUrl())
						osm := orm.ScopeMetrics().AppendEmpty()
						sm.Scope().CopyTo(osm.Scope())
						osm.SetSchemaUrl(sm.SchemaUrl())
						om := osm.Metrics().AppendEmpty()
						m.CopyTo(om)
						keepPoint(om, i)
						items = append(items, string(mustMarshal((&pmetric.JSONMarshaler{}).MarshalMetrics(one))))
					}
				}
			}
		}
	}
	slices.Sort(items)
	return items
}

func dataPoints(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 0
}

// keepPoint removes every data point of m but the i-th.
func keepPoint(m pmetric.Metric, i int) {
	n := -1
	other := func() bool { n++; return n != i }
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		m.Gauge().DataPoints().RemoveIf(func(pmetric.NumberDataPoint) bool { return other() })
	case pmetric.MetricTypeSum:
		m.Sum().DataPoints().RemoveIf(func(pmetric.NumberDataPoint) bool { return other() })
	case pmetric.MetricTypeHistogram:
		m.Histogram().DataPoints().RemoveIf(func(pmetric.HistogramDataPoint) bool { return other() })
	case pmetric.MetricTypeExponentialHistogram:
		m.ExponentialHistogram().DataPoints().RemoveIf(func(pmetric.ExponentialHistogramDataPoint) bool { return other() })
	case pmetric.MetricTypeSummary:
		m.Summary().DataPoints().RemoveIf(func(pmetric.SummaryDataPoint) bool { return other() })
	}
}

// recordItems answers every log record as a batch of its own, in JSON, sorted.
func recordItems(batches []plog.Logs) []string {
	var items []string
	for _, ld := range batches {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, record := range sl.LogRecords().All() {
					one := plog.NewLogs()
					orl := one.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(orl.Resource())
					orl.SetSchemaUrl(rl.SchemaUrl())
					osl := orl.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(osl.Scope())
					osl.SetSchemaUrl(sl.SchemaUrl())
					record.CopyTo(osl.LogRecords().AppendEmpty())
					items = append(items, string(mustMarshal((&plog.JSONMarshaler{}).MarshalLogs(one))))
				}
			}
		}
	}
	slices.Sort(items)
	return items
}

// difference describes how two sorted multisets differ: how many of each side the other
// lacks and, when show, the first of each (cut to a readable length); "" when they are equal.
func difference(what string, sent, received []string, show bool) string {
	var missing, extra []string
	i, j := 0, 0
	for i < len(sent) || j < len(received) {
		switch {
		case j == len(received) || (i < len(sent) && sent[i] < received[j]):
			missing = append(missing, sent[i])
			i++
		case i == len(sent) || received[j] < sent[i]:
			extra = append(extra, received[j])
			j++
		default:
			i, j = i+1, j+1
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	cut := func(items []string) string {
		if len(items) == 0 || !show {
			return "-"
		}
		if len(items[0]) > 2000 {
			return items[0][:2000] + "..."
		}
		return items[0]
	}
	return fmt.Sprintf("%s: %d sent not received (first: %s), %d received not sent (first: %s)",
		what, len(missing), cut(missing), len(extra), cut(extra))
}
