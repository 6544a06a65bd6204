package contrib

import (
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The golden batches: every kind of attribute map the processors address (resource, scope,
// span, span event, span link, the data points of every metric type, log record), holding
// values of every pdata type, values the configs' regexes match (card numbers, e-mail
// addresses, tokens) and some they nearly match, and, on some items, the summary attributes an
// upstream redaction processor would have left (so the merge of summaries is compared too).
// Seeded: every run builds the same batches.

// Values a redaction config can act on; the index picks one per item, so that items differ.
var (
	cardNumbers = []string{"4111111111111111", "card 5500000000000004 on file", "4012888888881881", "no card here", "411111111111"}
	emails      = []string{"alice@example.com", "bob.smith+otel@mail.example.org", "not-an-email", "carol@example", "josé@exämple.com"}
	// Arabic-Indic digits and accented letters: Go's \d, \w and \b are ASCII, Rust's Unicode.
	notes     = []string{"call me at 555-0100", "plain text", "token=abc123; card=4111111111111111", "", "ünïcödé text 4000000000000002", "call ٥٥٥-٠١٠٠ or 555-0199", "a12b"}
	routes    = []string{"/api/cart", "/api/checkout", "/api/products/{id}", "/health"}
	methods   = []string{"GET", "POST", "PUT", "DELETE"}
	services  = []string{"frontend", "cart", "payment"}
	spanNames = []string{"GET /api/cart", "POST /api/checkout", "SELECT orders", "redis GET", "healthcheck"}
)

// fillAttributes puts the attributes every golden item carries, chosen by rng: strings that
// match or miss the configs' value patterns, keys the configs allow, ignore, block by pattern
// or leave out, and every value type (int, double, bool, bytes, slice, map, empty).
func fillAttributes(rng *rand.Rand, m pcommon.Map) {
	m.PutStr("http.request.method", methods[rng.IntN(len(methods))])
	m.PutStr("http.route", routes[rng.IntN(len(routes))])
	m.PutStr("card.number", cardNumbers[rng.IntN(len(cardNumbers))])
	m.PutStr("user.email", emails[rng.IntN(len(emails))])
	m.PutInt("user.id", int64(rng.IntN(1_000_000)))
	m.PutStr("session.token", fmt.Sprintf("tok_%08x", rng.Uint32()))
	m.PutStr("note", notes[rng.IntN(len(notes))])
	m.PutInt("http.response.status_code", []int64{200, 201, 404, 500, 503}[rng.IntN(5)])
	m.PutDouble("latency_ms", float64(rng.IntN(100_000))/8)
	m.PutBool("db.cached", rng.IntN(2) == 0)
	if rng.IntN(3) == 0 {
		m.PutEmptyBytes("payload").FromRaw([]byte{0x41, 0x11, byte(rng.IntN(256))})
	}
	if rng.IntN(3) == 0 {
		s := m.PutEmptySlice("tags")
		s.AppendEmpty().SetStr("checkout")
		s.AppendEmpty().SetInt(4111111111111111)
	}
	if rng.IntN(3) == 0 {
		inner := m.PutEmptyMap("nested")
		inner.PutStr("card", "4111111111111111")
		inner.PutInt("n", 7)
	}
	if rng.IntN(4) == 0 {
		m.PutEmpty("empty")
	}
	if rng.IntN(4) == 0 {
		// A card number as an integer: only redact_all_types masks it.
		m.PutInt("card.int", 4111111111111111)
	}
	// Some items come from an upstream redaction processor: its summary attributes are
	// merged (counts added, key lists joined and sorted) or replaced, never redacted.
	switch rng.IntN(5) {
	case 0:
		m.PutStr("redaction.masked.keys", "upstream.key")
		m.PutInt("redaction.masked.count", 1)
	case 1:
		m.PutStr("redaction.redacted.keys", "gone.a,gone.b")
		m.PutInt("redaction.redacted.count", 2)
		m.PutInt("redaction.allowed.count", 9)
		m.PutStr("redaction.allowed.keys", "stale")
		m.PutInt("redaction.ignored.count", 3)
	}
}

// goldenTraces is the golden traces batch: two resources (one with no attributes), two scopes
// each (one with attributes, one without), spans with attributes, events and links.
func goldenTraces(seed uint64) ptrace.Traces {
	rng := rand.New(rand.NewPCG(seed, 15))
	td := ptrace.NewTraces()
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for r := range 2 {
		rs := td.ResourceSpans().AppendEmpty()
		if r == 0 {
			rs.Resource().Attributes().PutStr("service.name", services[rng.IntN(len(services))])
			rs.Resource().Attributes().PutStr("host.name", "ip-10-0-3-17")
			rs.Resource().Attributes().PutStr("owner.email", "ops@example.com")
		}
		for s := range 2 {
			ss := rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName(fmt.Sprintf("scope-%d", s))
			if s == 0 {
				ss.Scope().Attributes().PutStr("library.card", "4111111111111111")
				ss.Scope().Attributes().PutStr("http.route", "/scope")
			}
			for i := range 6 {
				span := ss.Spans().AppendEmpty()
				var tid pcommon.TraceID
				var sid pcommon.SpanID
				fill(rng, tid[:])
				fill(rng, sid[:])
				span.SetTraceID(tid)
				span.SetSpanID(sid)
				span.SetName(spanNames[rng.IntN(len(spanNames))])
				span.SetKind(ptrace.SpanKind(rng.IntN(5)))
				began := start.Add(time.Duration(r*100+s*10+i) * time.Millisecond)
				span.SetStartTimestamp(pcommon.NewTimestampFromTime(began))
				span.SetEndTimestamp(pcommon.NewTimestampFromTime(began.Add(time.Duration(rng.IntN(5000)) * time.Microsecond)))
				fillAttributes(rng, span.Attributes())
				for range rng.IntN(3) {
					ev := span.Events().AppendEmpty()
					ev.SetName("exception")
					ev.Attributes().PutStr("exception.message", notes[rng.IntN(len(notes))])
					ev.Attributes().PutStr("user.email", emails[rng.IntN(len(emails))])
					ev.Attributes().PutStr("http.route", "/event")
				}
				for range rng.IntN(2) {
					link := span.Links().AppendEmpty()
					link.SetTraceID(tid)
					link.Attributes().PutStr("card.number", cardNumbers[rng.IntN(len(cardNumbers))])
					link.Attributes().PutStr("http.route", "/link")
				}
			}
		}
	}
	return td
}

// goldenMetrics is the golden metrics batch: two resources, each with a scope holding one
// metric of every type (gauge, sum, histogram, exponential histogram, summary) with two or
// three data points, and a second scope with attributes.
func goldenMetrics(seed uint64) pmetric.Metrics {
	rng := rand.New(rand.NewPCG(seed, 16))
	md := pmetric.NewMetrics()
	now := pcommon.NewTimestampFromTime(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	for r := range 2 {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", services[r])
		rm.Resource().Attributes().PutStr("owner.email", emails[r])
		for s := range 2 {
			sm := rm.ScopeMetrics().AppendEmpty()
			sm.Scope().SetName(fmt.Sprintf("meter-%d", s))
			if s == 1 {
				sm.Scope().Attributes().PutStr("library.card", "5500000000000004")
			}
			points := func() int { return 2 + rng.IntN(2) }

			m := sm.Metrics().AppendEmpty()
			m.SetName("http.server.active_requests")
			for range points() {
				dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
				dp.SetTimestamp(now)
				dp.SetIntValue(int64(rng.IntN(100)))
				fillAttributes(rng, dp.Attributes())
			}
			m = sm.Metrics().AppendEmpty()
			m.SetName("http.server.requests")
			sum := m.SetEmptySum()
			sum.SetIsMonotonic(true)
			sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			for range points() {
				dp := sum.DataPoints().AppendEmpty()
				dp.SetTimestamp(now)
				dp.SetDoubleValue(float64(rng.IntN(10_000)))
				fillAttributes(rng, dp.Attributes())
			}
			m = sm.Metrics().AppendEmpty()
			m.SetName("http.server.request.duration")
			hist := m.SetEmptyHistogram()
			hist.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
			for range points() {
				dp := hist.DataPoints().AppendEmpty()
				dp.SetTimestamp(now)
				dp.SetCount(3)
				dp.SetSum(1.5)
				dp.ExplicitBounds().FromRaw([]float64{0.1, 1})
				dp.BucketCounts().FromRaw([]uint64{1, 1, 1})
				fillAttributes(rng, dp.Attributes())
			}
			m = sm.Metrics().AppendEmpty()
			m.SetName("db.client.operation.duration")
			exp := m.SetEmptyExponentialHistogram()
			for range points() {
				dp := exp.DataPoints().AppendEmpty()
				dp.SetTimestamp(now)
				dp.SetCount(2)
				dp.SetScale(2)
				dp.Positive().BucketCounts().FromRaw([]uint64{1, 1})
				fillAttributes(rng, dp.Attributes())
			}
			m = sm.Metrics().AppendEmpty()
			m.SetName("rpc.server.duration")
			summary := m.SetEmptySummary()
			for range points() {
				dp := summary.DataPoints().AppendEmpty()
				dp.SetTimestamp(now)
				dp.SetCount(4)
				dp.SetSum(2)
				q := dp.QuantileValues().AppendEmpty()
				q.SetQuantile(0.5)
				q.SetValue(0.4)
				fillAttributes(rng, dp.Attributes())
			}
		}
	}
	return md
}

// goldenLogs is the golden logs batch: two resources, two scopes each, log records with plain
// string bodies (the body is outside rust_redaction's scope: no config's value pattern
// matches these bodies, see TestRedactionLogBodyIsGoOnly), severities across the range, and
// attributes.
func goldenLogs(seed uint64) plog.Logs {
	rng := rand.New(rand.NewPCG(seed, 17))
	ld := plog.NewLogs()
	bodies := []string{"user logged in", "payment accepted", "cache miss", "request failed: upstream reset", "GET /api/cart 200"}
	for r := range 2 {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", services[r+1])
		rl.Resource().Attributes().PutStr("owner.email", emails[r])
		for s := range 2 {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(fmt.Sprintf("logger-%d", s))
			if s == 0 {
				sl.Scope().Attributes().PutStr("library.card", "4111111111111111")
			}
			for range 6 {
				lr := sl.LogRecords().AppendEmpty()
				lr.SetTimestamp(pcommon.Timestamp(1_780_000_000_000_000_000 + rng.Uint64N(1_000_000)))
				lr.SetSeverityNumber(plog.SeverityNumber(1 + rng.IntN(24)))
				lr.SetSeverityText(lr.SeverityNumber().String())
				lr.Body().SetStr(bodies[rng.IntN(len(bodies))])
				fillAttributes(rng, lr.Attributes())
			}
		}
	}
	return ld
}

func fill(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}
