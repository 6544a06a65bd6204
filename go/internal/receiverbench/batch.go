package receiverbench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// SpansPerBatch is the size of every batch the benchmarks of this package and of delivery send.
const SpansPerBatch = 1000

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
	{"GET /api/products/{id}", ptrace.SpanKindServer, "/api/products/{id}", "GET", "frontend", 8080},
	{"oteldemo.CartService/GetCart", ptrace.SpanKindClient, "/oteldemo.CartService/GetCart", "POST", "cart", 7070},
	{"oteldemo.PaymentService/Charge", ptrace.SpanKindClient, "/oteldemo.PaymentService/Charge", "POST", "payment", 50051},
	{"SELECT orders", ptrace.SpanKindClient, "", "", "postgres", 5432},
	{"redis GET", ptrace.SpanKindClient, "", "", "valkey-cart", 6379},
	{"render product page", ptrace.SpanKindInternal, "", "", "frontend", 8080},
}

var userAgents = []string{
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"python-requests/2.32.3",
	"Go-http-client/1.1",
}

// NewBatch builds the batch every benchmark sends, the same as exporterbench's: one service's
// 1,000 spans, as an SDK's batch span processor hands them over (100 traces of 10 spans), each
// with ids, a name, a kind, timestamps, a status and 10 attributes of mixed types (HTTP and
// database semantic conventions), and an exception event on one span in ten. The random parts
// (ids, durations, addresses, ids in paths) are seeded, so every run sends the same bytes.
func NewBatch() ptrace.Traces {
	rng := rand.New(rand.NewPCG(14, 1000))
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	res.PutStr("service.name", "frontend")
	res.PutStr("service.namespace", "opentelemetry-demo")
	res.PutStr("service.version", "2.0.2")
	res.PutStr("deployment.environment.name", "production")
	res.PutStr("host.name", "ip-10-0-3-17.eu-west-1.compute.internal")
	res.PutStr("k8s.pod.name", "frontend-7f9c6d5b8-x2mqz")
	res.PutStr("k8s.namespace.name", "otel-demo")
	res.PutStr("telemetry.sdk.name", "opentelemetry")
	res.PutStr("telemetry.sdk.language", "go")
	res.PutStr("telemetry.sdk.version", "1.32.0")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
	ss.Scope().SetVersion("0.58.0")
	spans := ss.Spans()
	spans.EnsureCapacity(SpansPerBatch)

	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var traceID pcommon.TraceID
	var root pcommon.SpanID
	for i := range SpansPerBatch {
		span := spans.AppendEmpty()
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
		failed := rng.IntN(20) == 0
		if failed {
			status = 503
			span.Status().SetCode(ptrace.StatusCodeError)
			span.Status().SetMessage("upstream connect error or disconnect/reset before headers")
		} else {
			span.Status().SetCode(ptrace.StatusCodeUnset)
		}

		attrs := span.Attributes()
		attrs.EnsureCapacity(10)
		switch {
		case op.method != "":
			attrs.PutStr("http.request.method", op.method)
			attrs.PutStr("http.route", op.route)
			attrs.PutInt("http.response.status_code", status)
			attrs.PutStr("url.path", fmt.Sprintf("%s?session=%016x", op.route, rng.Uint64()))
			attrs.PutStr("url.scheme", "http")
			attrs.PutStr("network.protocol.version", "1.1")
			attrs.PutStr("user_agent.original", userAgents[rng.IntN(len(userAgents))])
		default:
			attrs.PutStr("db.system.name", "postgresql")
			attrs.PutStr("db.namespace", "orders")
			attrs.PutStr("db.query.text", fmt.Sprintf("SELECT id, total, currency FROM orders WHERE user_id = $1 LIMIT %d", 10+rng.IntN(90)))
			attrs.PutInt("db.response.returned_rows", int64(rng.IntN(100)))
			attrs.PutBool("db.cached", rng.IntN(2) == 0)
			attrs.PutStr("db.operation.name", "SELECT")
			attrs.PutDouble("db.client.connection.wait_ms", rng.Float64()*5)
		}
		attrs.PutStr("server.address", op.server)
		attrs.PutInt("server.port", op.port)
		attrs.PutStr("client.address", fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256)))

		if i%10 == 5 || failed {
			event := span.Events().AppendEmpty()
			event.SetName("exception")
			event.SetTimestamp(pcommon.NewTimestampFromTime(began.Add(time.Millisecond)))
			event.Attributes().PutStr("exception.type", "*net.OpError")
			event.Attributes().PutStr("exception.message", fmt.Sprintf("dial tcp 10.0.%d.%d:%d: connect: connection refused", rng.IntN(256), rng.IntN(256), op.port))
		}
	}
	return td
}

func fillRandom(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}
