//go:build otelcolrust_testcomponents

package reliability

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// answerKey is the resource attribute that tells the answering sink what to answer a batch:
// "retryable" or "permanent" (anything else: accept).
const answerKey = "test.answer"

// answerAsAsked is the sink's answer to batch: the one its first resource's answerKey asks for.
func answerAsAsked(batch any) error {
	var resources []pcommon.Map
	switch b := batch.(type) {
	case ptrace.Traces:
		for _, rs := range b.ResourceSpans().All() {
			resources = append(resources, rs.Resource().Attributes())
		}
	case pmetric.Metrics:
		for _, rm := range b.ResourceMetrics().All() {
			resources = append(resources, rm.Resource().Attributes())
		}
	case plog.Logs:
		for _, rl := range b.ResourceLogs().All() {
			resources = append(resources, rl.Resource().Attributes())
		}
	}
	if len(resources) == 0 {
		return nil
	}
	asked, ok := resources[0].Get(answerKey)
	if !ok {
		return nil
	}
	switch asked.AsString() {
	case "retryable":
		return errDownstream
	case "permanent":
		return consumererror.NewPermanent(errors.New("the sink refuses this batch for good"))
	}
	return nil
}

// answeringCollector runs rust_otlphttp (bodies of at most limit bytes) into a seqSink that
// answers as each batch asks (answerAsAsked), for every signal.
func answeringCollector(t testing.TB, limit int) (endpoint string, s *seqSink, col *testutil.Collector) {
	t.Helper()
	endpoint, s = testutil.FreeEndpoint(t), newSeqSink()
	s.setAnswer(answerAsAsked)
	col = runRustReceivers(t, fmt.Sprintf(`
receivers:
  rust_otlphttp:
    endpoint: %s
    max_request_body_size: %d
exporters:
  seqsink:
service:
  telemetry:
    logs:
      level: error
    metrics:
      level: none
  pipelines:
%s`, endpoint, limit, receiverPipelines("rust_otlphttp", "", "seqsink")), s.factory())
	return endpoint, s, col
}

// fuzzRoutes and fuzzMethods are what the fuzzed route byte picks from.
var (
	fuzzRoutes  = []string{"/v1/traces", "/v1/metrics", "/v1/logs", "/v1/other", "/", "/v1/traces/", "//v1/logs"}
	fuzzMethods = []string{http.MethodPost, http.MethodPost, http.MethodGet, http.MethodPut}
)

// smallBatch is a batch of signal with two items, asking the sink for answer.
func smallBatch(signal int, answer string) any {
	g := clientGenerator(7)
	var batch any
	switch signal {
	case 0:
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr(answerKey, answer)
		for range 2 {
			span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
			span.SetName("fuzz")
			span.Attributes().PutInt("test.seq", g.nextSeq())
		}
		batch = td
	case 1:
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr(answerKey, answer)
		m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("fuzz")
		for range 2 {
			p := m.SetEmptyGauge().DataPoints().AppendEmpty()
			p.SetIntValue(1)
			p.Attributes().PutInt("test.seq", g.nextSeq())
		}
		batch = md
	default:
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(answerKey, answer)
		for range 2 {
			record := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
			record.Body().SetStr("fuzz")
			record.Attributes().PutInt("test.seq", g.nextSeq())
		}
		batch = ld
	}
	return batch
}

// expectation is what the receiver must answer a request, as Go's otlpreceiver (behind
// confighttp) would with the same pipeline: strict when the request's headers mean the same
// to Go's parsers and to the receiver's; otherwise only "no 5xx unless the sink said so".
type expectation struct {
	status int
	strict bool
	// sinkCalled: the batch reached the sink (it decoded and held items).
	sinkCalled bool
}

// expect computes the answer to a request. The checks come in the order of Go's
// otlpreceiver: the decompressor (confighttp) before the router, then method, content type,
// body size, decoding, the pipeline.
func expect(route, method, contentType, contentEncoding string, wire []byte, limit int) expectation {
	// HTTP strips spaces and tabs around a header's value.
	contentType, contentEncoding = strings.Trim(contentType, " \t"), strings.Trim(contentEncoding, " \t")
	gzipped := strings.EqualFold(contentEncoding, "gzip")
	if contentEncoding != "" && !gzipped {
		return expectation{status: http.StatusBadRequest, strict: true}
	}
	signal := -1
	for i, name := range signalNames {
		if route == "/v1/"+name {
			signal = i
		}
	}
	if signal < 0 {
		return expectation{status: http.StatusNotFound, strict: true}
	}
	if method != http.MethodPost {
		return expectation{status: http.StatusMethodNotAllowed, strict: true}
	}
	// Go's otlpreceiver reads the media type with mime.ParseMediaType; a value it refuses is
	// 415 there, while the receiver reads the part before ';'. Strict where both agree.
	media, _, err := mime.ParseMediaType(contentType)
	simple, _, _ := strings.Cut(contentType, ";")
	strict := err == nil && strings.EqualFold(media, strings.TrimSpace(simple))
	var asJSON bool
	switch strings.ToLower(media) {
	case "application/x-protobuf":
	case "application/json":
		asJSON = true
	default:
		return expectation{status: http.StatusUnsupportedMediaType, strict: strict}
	}
	if len(wire) > limit {
		return expectation{status: http.StatusRequestEntityTooLarge, strict: strict}
	}
	data := wire
	if gzipped {
		reader, err := gzip.NewReader(bytes.NewReader(wire))
		if err != nil {
			return expectation{status: http.StatusBadRequest, strict: strict}
		}
		data, err = io.ReadAll(io.LimitReader(reader, int64(limit)+1))
		if len(data) > limit {
			return expectation{status: http.StatusRequestEntityTooLarge, strict: strict}
		}
		if err != nil {
			return expectation{status: http.StatusBadRequest, strict: strict}
		}
	}
	batch, items, err := decodeRequest(signal, asJSON, data)
	switch {
	case err != nil:
		return expectation{status: http.StatusBadRequest, strict: strict}
	case items == 0:
		// receiverhelper's rule: nothing to consume, accepted without the pipeline.
		return expectation{status: http.StatusOK, strict: strict}
	}
	status := http.StatusOK
	switch err := answerAsAsked(batch); {
	case consumererror.IsPermanent(err):
		status = http.StatusInternalServerError
	case err != nil:
		status = http.StatusServiceUnavailable
	}
	return expectation{status: status, strict: strict, sinkCalled: true}
}

// decodeRequest decodes an OTLP export request of signal as Go's otlpreceiver does (pdata).
func decodeRequest(signal int, asJSON bool, data []byte) (batch any, items int, err error) {
	switch signal {
	case 0:
		request := ptraceotlp.NewExportRequest()
		err = unmarshal(request.UnmarshalProto, request.UnmarshalJSON, asJSON, data)
		return request.Traces(), request.Traces().SpanCount(), err
	case 1:
		request := pmetricotlp.NewExportRequest()
		err = unmarshal(request.UnmarshalProto, request.UnmarshalJSON, asJSON, data)
		return request.Metrics(), request.Metrics().DataPointCount(), err
	default:
		request := plogotlp.NewExportRequest()
		err = unmarshal(request.UnmarshalProto, request.UnmarshalJSON, asJSON, data)
		return request.Logs(), request.Logs().LogRecordCount(), err
	}
}

func unmarshal(proto, json func([]byte) error, asJSON bool, data []byte) error {
	if asJSON {
		return json(data)
	}
	return proto(data)
}

// validHeaderValue: what Go's HTTP client sends as a header value (no control characters
// but tab); it refuses the others before sending.
func validHeaderValue(value string) bool {
	for i := range len(value) {
		if c := value[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// Scenario: requests made of a fuzzed route (signal paths, unknown paths, other methods),
// Content-Type, Content-Encoding and body (gzipped by the test or not) are posted one at a time
// to a running collector: rust_otlphttp (max_request_body_size 4096) -> a sink answering each
// batch as its resource attribute test.answer asks (accept, retryable, permanent). The seeds
// are small valid requests of every signal in protobuf and JSON, gzipped or not, asking for
// each answer; truncated protobuf, bad JSON, an empty body, a raw body announced as gzip, an
// unknown coding, a wrong content type, a body over the limit and a gzip bomb. `make test` runs
// the seeds, `make reliability` fuzzes for minutes.
// Guarantees: every request is answered (the collector never crashes nor drops one) and the
// collector keeps running; the answer is never a 5xx unless the sink refused that batch (503
// for retryable, with a Retry-After; 500 for permanent); where the headers mean the same to
// Go's parsers and the receiver's, the answer is the one Go's otlpreceiver gives (400 for an
// unknown coding or bytes pdata does not decode, 404, 405, 415, 413 for a body over the limit
// on the wire or inflated, 200 for an accepted or empty batch) and the batch reached the sink
// exactly when it decoded with items.
func FuzzReceiverRequest(f *testing.F) {
	const limit = 4096
	endpoint, s, col := answeringCollector(f, limit)
	for signal := range 3 {
		for i, answer := range []string{"accept", "retryable", "permanent"} {
			batch := smallBatch(signal, answer)
			for _, asJSON := range []bool{false, true} {
				post := newPost(batch, asJSON, false)
				f.Add(uint8(signal), post.contentType, "", false, post.body)
				if i == 0 {
					f.Add(uint8(signal), post.contentType, "gzip", true, post.body)
					f.Add(uint8(signal), post.contentType, "gzip", false, post.body)
					f.Add(uint8(signal), post.contentType, "", false, post.body[:len(post.body)/2])
					f.Add(uint8(signal+8), post.contentType, "", false, post.body) // GET
					f.Add(uint8(signal+3), post.contentType, "", false, post.body) // unknown path
					f.Add(uint8(signal), post.contentType+"; charset=utf-8", "GZIP", true, post.body)
				}
			}
		}
	}
	f.Add(uint8(0), "application/json", "", false, []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":`))
	f.Add(uint8(1), "application/x-protobuf", "", false, []byte{})
	f.Add(uint8(2), "application/x-protobuf", "br", false, []byte{0x0a, 0x00})
	f.Add(uint8(0), "text/plain", "", false, []byte("hello"))
	f.Add(uint8(0), "application/x-protobuf", "", false, bytes.Repeat([]byte{0x0a}, limit+1))
	f.Add(uint8(2), "application/json", "gzip", true, bytes.Repeat([]byte(" "), 64*limit))
	f.Add(uint8(1), "application/json", "gzip", true, []byte{})

	client := &http.Client{Timeout: 30 * time.Second}
	f.Fuzz(func(t *testing.T, route uint8, contentType, contentEncoding string, compress bool, body []byte) {
		if !validHeaderValue(contentType) || !validHeaderValue(contentEncoding) {
			t.Skip("Go's client refuses to send this header")
		}
		path, method := fuzzRoutes[int(route)%len(fuzzRoutes)], fuzzMethods[int(route)/8%len(fuzzMethods)]
		wire := body
		if compress {
			wire = gzipBytes(body)
		}
		want := expect(path, method, contentType, contentEncoding, wire, limit)
		request, err := http.NewRequest(method, "http://"+endpoint+path, bytes.NewReader(wire))
		if err != nil {
			t.Skip(err)
		}
		if contentType != "" {
			request.Header.Set("Content-Type", contentType)
		}
		if contentEncoding != "" {
			request.Header.Set("Content-Encoding", contentEncoding)
		}
		callsBefore, _, _ := s.state()
		s.mu.Lock()
		s.lastRefusal = nil
		s.mu.Unlock()
		got := do(client, request)
		callsAfter, _, _ := s.state()
		s.mu.Lock()
		refusal := s.lastRefusal
		s.mu.Unlock()
		if state := col.GetState(); state != otelcol.StateRunning {
			t.Fatalf("the collector is %v after %s %s (Content-Type %q, Content-Encoding %q, %d bytes)", state, method, path, contentType, contentEncoding, len(wire))
		}
		if got.err != nil {
			t.Fatalf("%s %s (Content-Type %q, Content-Encoding %q, %d bytes): no answer: %v", method, path, contentType, contentEncoding, len(wire), got.err)
		}
		describe := func() string {
			return fmt.Sprintf("%s %s (Content-Type %q, Content-Encoding %q, %d bytes on the wire): %v; expected %+v",
				method, path, contentType, contentEncoding, len(wire), got, want)
		}
		// No 5xx unless the sink refused this batch, as that status says.
		switch got.status {
		case http.StatusServiceUnavailable:
			if refusal == nil || consumererror.IsPermanent(refusal) || backPressure(got) != nil {
				t.Fatalf("503 without a retryable refusal and a Retry-After: %s", describe())
			}
		case http.StatusInternalServerError:
			if !consumererror.IsPermanent(refusal) {
				t.Fatalf("500 without a permanent refusal: %s", describe())
			}
		default:
			if got.status >= 500 || got.status < 200 {
				t.Fatalf("unexpected status: %s", describe())
			}
		}
		if want.strict {
			if got.status != want.status {
				t.Fatalf("wrong status: %s", describe())
			}
			if called := callsAfter > callsBefore; called != want.sinkCalled {
				t.Fatalf("the sink was called: %v: %s", called, describe())
			}
		}
	})
}

// Scenario: a collector runs rust_otlphttp (max_request_body_size 1 MiB) into a sink; the test
// sends requests a client should not: bodies over the limit (with a Content-Length and
// chunked), a gzip bomb (256 MiB of zeros in 256 KiB), corrupt and truncated gzip, truncated
// protobuf, bad JSON, JSON announced as protobuf, an unknown coding, content type, path and
// method; then, on raw connections, a body shorter than its Content-Length (the connection
// closed) and a request line that is not HTTP.
// Guarantees: each gets its 4xx (413, 400, 415, 404, 405), with a google.rpc.Status in JSON
// for a JSON request; nothing reaches the sink; the broken connections get no answer or a
// 400 and break nothing; the collector keeps running and then accepts a valid request; the
// gzip bomb grows RSS by less than 32 MiB (checked without the race detector).
func TestReceiverMalformedAndHugeRequests(t *testing.T) {
	const limit = 1 << 20
	endpoint, s, col := answeringCollector(t, limit)
	client := &http.Client{Timeout: 30 * time.Second}
	valid := newPost(smallBatch(0, "accept"), false, false)
	validJSON := newPost(smallBatch(1, "accept"), true, false)

	// The gzip bomb: 32 members of 8 MiB of zeros each (one member compressed once: quicker
	// under the race detector than 256 MiB), 256 MiB inflated from 256 KiB.
	bomb := bytes.Repeat(gzipBytes(make([]byte, 8<<20)), 32)
	if len(bomb) > limit/2 {
		t.Fatalf("the gzip bomb takes %d bytes on the wire", len(bomb))
	}
	gzipped := gzipBytes(valid.body)

	type request struct {
		name, method, path, contentType, contentEncoding string
		body                                             []byte
		chunked                                          bool
		want                                             int
	}
	for _, r := range []request{
		{name: "over the limit", body: make([]byte, limit+1), want: http.StatusRequestEntityTooLarge},
		{name: "over the limit, chunked", body: make([]byte, limit+1), chunked: true, want: http.StatusRequestEntityTooLarge},
		{name: "gzip bomb", contentEncoding: "gzip", body: bomb, want: http.StatusRequestEntityTooLarge},
		{name: "corrupt gzip", contentEncoding: "gzip", body: append(append([]byte{}, gzipped[:10]...), bytes.Repeat([]byte{0xff}, 64)...), want: http.StatusBadRequest},
		{name: "truncated gzip", contentEncoding: "gzip", body: gzipped[:len(gzipped)-6], want: http.StatusBadRequest},
		{name: "not gzip", contentEncoding: "gzip", body: valid.body, want: http.StatusBadRequest},
		{name: "truncated protobuf", body: valid.body[:len(valid.body)-3], want: http.StatusBadRequest},
		{name: "bad JSON", path: "/v1/metrics", contentType: "application/json", body: validJSON.body[:len(validJSON.body)-2], want: http.StatusBadRequest},
		{name: "JSON as protobuf", path: "/v1/metrics", body: validJSON.body, want: http.StatusBadRequest},
		{name: "unknown coding", contentEncoding: "zstd", body: valid.body, want: http.StatusBadRequest},
		{name: "wrong content type", contentType: "text/plain", body: valid.body, want: http.StatusUnsupportedMediaType},
		{name: "unknown path", path: "/v1/profiles", body: valid.body, want: http.StatusNotFound},
		{name: "GET", method: http.MethodGet, want: http.StatusMethodNotAllowed},
	} {
		if r.method == "" {
			r.method = http.MethodPost
		}
		if r.path == "" {
			r.path = "/v1/traces"
		}
		if r.contentType == "" {
			r.contentType = "application/x-protobuf"
		}
		if r.name == "truncated protobuf" {
			if _, _, err := decodeRequest(0, false, r.body); err == nil {
				t.Fatal("the truncated protobuf decodes")
			}
		}
		var body io.Reader = bytes.NewReader(r.body)
		if r.chunked {
			body = io.MultiReader(body) // no length known: sent chunked
		}
		request, err := http.NewRequest(r.method, "http://"+endpoint+r.path, body)
		if err != nil {
			t.Fatal(err)
		}
		request.Header.Set("Content-Type", r.contentType)
		if r.contentEncoding != "" {
			request.Header.Set("Content-Encoding", r.contentEncoding)
		}
		rssBefore := rssBytes(t)
		got := do(client, request)
		growth := rssBytes(t) - rssBefore
		if got.err != nil || got.status != r.want {
			t.Errorf("%s: %v; want %d", r.name, got, r.want)
			continue
		}
		if r.name == "gzip bomb" && !raceEnabled && growth > 32<<20 {
			t.Errorf("the gzip bomb grew RSS by %.1f MiB", float64(growth)/(1<<20))
		}
		// Error answers to a JSON request are a google.rpc.Status in JSON (InvalidArgument: 3).
		if r.contentType == "application/json" && r.want == http.StatusBadRequest {
			var status struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(got.body, &status); err != nil || status.Code != 3 || status.Message == "" {
				t.Errorf("%s: the answer is no google.rpc.Status in JSON: %v", r.name, got)
			}
		}
	}

	// Raw connections: a body cut short, then a request line that is not HTTP.
	for _, raw := range []string{
		"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n0123456789",
		"NOT HTTP AT ALL\r\n\r\n",
	} {
		conn, err := net.Dial("tcp", endpoint)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		if tcp, ok := conn.(*net.TCPConn); ok && strings.HasPrefix(raw, "POST") {
			_ = tcp.CloseWrite() // the client gives up half-way
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if response, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
			response.Body.Close()
			if response.StatusCode != http.StatusBadRequest {
				t.Errorf("%.20q: answered %s", raw, response.Status)
			}
		}
		conn.Close()
	}

	if calls, _, _ := s.state(); calls != 0 {
		t.Errorf("%d malformed requests reached the sink", calls)
	}
	if state := col.GetState(); state != otelcol.StateRunning {
		t.Fatalf("the collector is %v", state)
	}
	if got := valid.send(client, endpoint); got.err != nil || got.status != http.StatusOK {
		t.Fatalf("a valid request after the malformed ones: %v", got)
	}
	if seqs, _ := s.snapshot(); len(seqs) != len(valid.seqs) {
		t.Errorf("the sink holds %d items, want %d", len(seqs), len(valid.seqs))
	}
}
