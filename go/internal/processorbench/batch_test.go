//go:build otelcolrust_testcomponents && cgo

package processorbench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// newBatch builds the batch of spans spans every processor benchmark handles: the same
// function in go/internal/processorbench/batch_test.go and contrib/bench_data_test.go (a module
// cannot import another's test files; TestBatchBytes pins both copies to the same bytes). It is
// exporterbench's batch (one service's spans as an SDK hands them over, 10 to a trace, with
// ids, names, kinds, timestamps, a status, an exception event on one span in ten) with 10
// attributes per span of mixed types, one of them a payment card field holding a card number
// (Visa or MasterCard, which the redaction benchmarks mask) on one span in four. Seeded: every
// run builds the same bytes.
func newBatch(spans int) ptrace.Traces {
	rng := rand.New(rand.NewPCG(15, uint64(spans)))
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	res.PutStr("service.name", "checkout")
	res.PutStr("service.namespace", "opentelemetry-demo")
	res.PutStr("service.version", "2.0.2")
	res.PutStr("deployment.environment.name", "production")
	res.PutStr("host.name", "ip-10-0-3-17.eu-west-1.compute.internal")
	res.PutStr("k8s.pod.name", "checkout-7f9c6d5b8-x2mqz")
	res.PutStr("telemetry.sdk.language", "go")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
	ss.Scope().SetVersion("0.58.0")
	list := ss.Spans()
	list.EnsureCapacity(spans)

	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var traceID pcommon.TraceID
	var root pcommon.SpanID
	for i := range spans {
		span := list.AppendEmpty()
		if i%10 == 0 {
			fillRandom(rng, traceID[:])
			fillRandom(rng, root[:])
			span.SetSpanID(root)
		} else {
			var id pcommon.SpanID
			fillRandom(rng, id[:])
			span.SetSpanID(id)
			span.SetParentSpanID(root)
		}
		span.SetTraceID(traceID)
		op := operations[rng.IntN(len(operations))]
		span.SetName(op.name)
		span.SetKind(op.kind)
		began := start.Add(time.Duration(i)*time.Millisecond + time.Duration(rng.IntN(1000))*time.Microsecond)
		span.SetStartTimestamp(pcommon.NewTimestampFromTime(began))
		span.SetEndTimestamp(pcommon.NewTimestampFromTime(began.Add(time.Duration(50+rng.IntN(250_000)) * time.Microsecond)))
		status := int64(200)
		if rng.IntN(20) == 0 {
			status = 503
			span.Status().SetCode(ptrace.StatusCodeError)
			span.Status().SetMessage("upstream connect error or disconnect/reset before headers")
		}

		attrs := span.Attributes()
		attrs.EnsureCapacity(10)
		if op.method != "" {
			attrs.PutStr("http.request.method", op.method)
			attrs.PutStr("http.route", op.route)
			attrs.PutInt("http.response.status_code", status)
			attrs.PutStr("url.path", fmt.Sprintf("%s?session=%016x", op.route, rng.Uint64()))
			attrs.PutStr("user_agent.original", userAgents[rng.IntN(len(userAgents))])
		} else {
			attrs.PutStr("db.system.name", "postgresql")
			attrs.PutStr("db.query.text", fmt.Sprintf("SELECT id, total FROM orders WHERE user_id = $1 LIMIT %d", 10+rng.IntN(90)))
			attrs.PutInt("db.response.returned_rows", int64(rng.IntN(100)))
			attrs.PutBool("db.cached", rng.IntN(2) == 0)
			attrs.PutDouble("db.client.connection.wait_ms", float64(rng.IntN(5000))/1000)
		}
		attrs.PutStr("server.address", op.server)
		attrs.PutInt("server.port", op.port)
		attrs.PutStr("client.address", fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256)))
		attrs.PutStr("enduser.id", fmt.Sprintf("user-%06d@example.com", rng.IntN(1_000_000)))
		if i%4 == 0 {
			attrs.PutStr("payment.card", cards[rng.IntN(len(cards))])
		} else {
			attrs.PutStr("payment.method", "wallet")
		}

		if i%10 == 5 || status != 200 {
			event := span.Events().AppendEmpty()
			event.SetName("exception")
			event.SetTimestamp(pcommon.NewTimestampFromTime(began.Add(time.Millisecond)))
			event.Attributes().PutStr("exception.type", "*net.OpError")
			event.Attributes().PutStr("exception.message", fmt.Sprintf("dial tcp 10.0.%d.%d:%d: connect: connection refused", rng.IntN(256), rng.IntN(256), op.port))
		}
	}
	return td
}

// operation is one kind of span an instrumented service emits.
type operation struct {
	name   string
	kind   ptrace.SpanKind
	route  string
	method string
	server string
	port   int64
}

var operations = []operation{
	{"GET /api/cart", ptrace.SpanKindServer, "/api/cart", "GET", "frontend", 8080},
	{"POST /api/checkout", ptrace.SpanKindServer, "/api/checkout", "POST", "frontend", 8080},
	{"oteldemo.PaymentService/Charge", ptrace.SpanKindClient, "/oteldemo.PaymentService/Charge", "POST", "payment", 50051},
	{"SELECT orders", ptrace.SpanKindClient, "", "", "postgres", 5432},
	{"render product page", ptrace.SpanKindInternal, "/api/products/{id}", "GET", "frontend", 8080},
}

var userAgents = []string{
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"python-requests/2.32.3",
	"Go-http-client/1.1",
}

// cards are the payment card values: Visa and MasterCard numbers (the redaction config's
// patterns match them), one inside text.
var cards = []string{"4111111111111111", "5500000000000004", "card 4012888888881881 exp 12/29"}

func fillRandom(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}
