package contrib

import (
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Patterns the redaction configs use: card numbers (Visa, MasterCard, as the
// redactionprocessor README writes them) and e-mail addresses.
const (
	visa       = `4[0-9]{12}(?:[0-9]{3})?`
	mastercard = `(5[1-5][0-9]{14})`
	email      = `[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}`
)

// redactionConfigs are the configs rust_redaction and the Go redactionprocessor are compared
// under: each written once and given to both, as a user would move from one to the other.
var redactionConfigs = []struct{ name, config string }{
	{"allow_list_summary_debug", fmt.Sprintf(`
allowed_keys: [http.request.method, http.route, card.number, user.email, note, http.response.status_code, tags, nested, card.int, latency_ms, exception.message]
blocked_values: [%q, %q, %q]
summary: debug
`, visa, mastercard, email)},
	{"allow_all_md5_summary_info", fmt.Sprintf(`
allow_all_keys: true
blocked_values: [%q, %q]
hash_function: md5
summary: info
`, visa, email)},
	{"sha1_ignored_keys_summary_silent", fmt.Sprintf(`
allowed_keys: [card.number, user.email, note, exception.message]
ignored_keys: [http.route, session.token, user.id]
blocked_values: [%q, %q]
hash_function: sha1
summary: silent
`, visa, mastercard)},
	{"sha3_redact_all_types_key_patterns", fmt.Sprintf(`
allow_all_keys: true
blocked_key_patterns: ['.*token.*', '^owner\.']
ignored_key_patterns: ['^http\.']
blocked_values: [%q, '[0-9]{3}-[0-9]{4}']
allowed_values: ['@example\.com$']
hash_function: sha3
redact_all_types: true
summary: debug
`, visa)},
	{"hmac_sha256_blocked_values_only", fmt.Sprintf(`
allow_all_keys: true
blocked_values: [%q, %q, 'tok_[0-9a-f]+']
hash_function: hmac-sha256
hmac_key: 0123456789abcdef0123456789abcdef-golden
summary: debug
`, visa, email)},
	{"hmac_sha512_allowed_values", fmt.Sprintf(`
allowed_keys: [card.number, user.email, note, session.token]
blocked_values: [%q, %q]
allowed_values: ['^4111']
hash_function: hmac-sha512
hmac_key: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
summary: info
`, visa, email)},
	// An empty config fails closed: every key is removed (and the summary is silent).
	{"empty_fails_closed", `{}`},
	// Go's Perl classes and word boundaries are ASCII: the Arabic-Indic digits and accented
	// letters of some values must not match.
	{"perl_classes_ascii", `
allow_all_keys: true
blocked_values: ['\d{3}-\d{4}', '\w+@\w+\.\w+', '\bcard\b\S*\d']
summary: debug
`},
	// Patterns that match the empty string: Go masks at every position but right after a match.
	// The allowed values are the golden log bodies, which the Go processor would mask too (see
	// TestRedactionLogBodyIsGoOnly); no attribute value is one of them.
	{"empty_matches", `
allow_all_keys: true
ignored_key_patterns: ['^(user|session|card|http\.route$|exception)']
blocked_values: ['[0-9]*']
allowed_values: ['^(user logged in|payment accepted|cache miss|request failed: upstream reset|GET /api/cart 200)$']
summary: info
`},
	{"redact_all_types_mask", fmt.Sprintf(`
allowed_keys: [card.number, card.int, tags, nested, payload, latency_ms, db.cached, user.id, empty, redaction.masked.count]
blocked_values: [%q, '^[0-9]+$', 'true']
redact_all_types: true
summary: debug
`, visa)},
}

// TestRedactionMatchesGo compares rust_redaction (through rustprocessor and the real boundary)
// with the collector-contrib redactionprocessor v0.164.0, same config, same batch, for every
// signal: the outputs must be exactly equal (values, attribute order, summary attributes and
// their types).
func TestRedactionMatchesGo(t *testing.T) {
	for _, c := range redactionConfigs {
		t.Run(c.name, func(t *testing.T) {
			goStages := []stage{{goRedaction, "golden", c.config}}
			rustStages := []stage{{rust(t, "rust_redaction"), "golden", c.config}}
			t.Run("traces", func(t *testing.T) {
				compareChains(t, tracesChain, goStages, rustStages, true, goldenTraces(1), goldenTraces(2))
			})
			t.Run("metrics", func(t *testing.T) {
				compareChains(t, metricsChain, goStages, rustStages, true, goldenMetrics(1), goldenMetrics(2))
			})
			t.Run("logs", func(t *testing.T) {
				compareChains(t, logsChain, goStages, rustStages, true, goldenLogs(1), goldenLogs(2))
			})
		})
	}
}

// compareChains runs the same inputs through the Go chain and the Rust chain and requires
// exactly equal outputs. With mustChange it also requires the Go chain to have changed
// something, so that a comparison cannot pass on a config neither side acts on.
func compareChains[T any](t *testing.T, ops chainOps[T], goStages, rustStages []stage, mustChange bool, inputs ...T) {
	t.Helper()
	want := runChain(t, ops, goStages, inputs...)
	got := runChain(t, ops, rustStages, inputs...)
	changed := len(want) != len(inputs)
	for i := 0; !changed && i < len(want); i++ {
		changed = difference(ops.signal, inputs[i], want[i]) != ""
	}
	if changed != mustChange {
		t.Fatalf("the Go chain changed the batches: %v, want %v", changed, mustChange)
	}
	equalBatches(t, ops.signal, "rust vs go", want, got)
}

// filterCases are rust_filter configs and the OTTL conditions that mean the same, for
// ottl_filter (filterprocessor's semantics, see ottlfilter_test.go). Regexes are unanchored on
// both sides (OTTL's IsMatch is Go's MatchString).
var filterCases = []struct {
	name, rust, goConfig string
	// dropsNothing: the case's conditions match no item (the output is the input).
	dropsNothing bool
}{
	{"traces_name_and_attribute", `
traces:
  span:
    - name: '^GET '
      attributes: {http.response.status_code: '^5'}
    - attributes: {user.email: 'example\.org$'}
`, `
traces:
  span:
    - 'IsMatch(name, "^GET ") and IsMatch(attributes["http.response.status_code"], "^5")'
    - 'IsMatch(attributes["user.email"], "example\\.org$")'
`, false},
	{"traces_resource", `
traces:
  span:
    - resource_attributes: {service.name: '^(cart|payment)$'}
      attributes: {db.cached: 'true'}
`, `
traces:
  span:
    - 'IsMatch(resource.attributes["service.name"], "^(cart|payment)$") and IsMatch(attributes["db.cached"], "true")'
`, false},
	// Every span of the first resource: its scopes and the resource go too.
	{"traces_whole_resource", `
traces:
  span:
    - resource_attributes: {host.name: '.'}
`, `
traces:
  span:
    - 'IsMatch(resource.attributes["host.name"], ".")'
`, false},
	{"metrics", `
metrics:
  datapoint:
    - name: 'request'
      attributes: {http.request.method: '^(GET|PUT)$'}
    - resource_attributes: {service.name: '^cart$'}
      attributes: {user.id: '7$'}
    - name: '^rpc\.'
`, `
metrics:
  datapoint:
    - 'IsMatch(metric.name, "request") and IsMatch(attributes["http.request.method"], "^(GET|PUT)$")'
    - 'IsMatch(resource.attributes["service.name"], "^cart$") and IsMatch(attributes["user.id"], "7$")'
    - 'IsMatch(metric.name, "^rpc\\.")'
`, false},
	{"logs", `
logs:
  log_record:
    - severity_number_below: 9
    - body: 'failed'
      attributes: {card.number: '4111'}
    - resource_attributes: {owner.email: 'bob'}
      attributes: {latency_ms: '\.5$'}
`, `
logs:
  log_record:
    - 'severity_number < 9'
    - 'IsMatch(body, "failed") and IsMatch(attributes["card.number"], "4111")'
    - 'IsMatch(resource.attributes["owner.email"], "bob") and IsMatch(attributes["latency_ms"], "\\.5$")'
`, false},
	// Nothing matches: the batch passes unchanged.
	{"traces_nothing_matches", `
traces:
  span:
    - name: '^no such span$'
`, `
traces:
  span:
    - 'IsMatch(name, "^no such span$")'
`, true},
	// Everything matches: nothing is passed on (ErrSkipProcessingData on both sides).
	{"logs_everything", `
logs:
  log_record:
    - severity_number_below: 100
`, `
logs:
  log_record:
    - 'severity_number < 100'
`, false},
}

// TestFilterMatchesGo compares rust_filter (keep/drop answers applied by rustprocessor) with
// filterprocessor's semantics (ottl_filter) under equivalent conditions, on the golden
// batches of the signal each case filters: exactly equal outputs, including which scopes,
// metrics and resources are removed once empty.
func TestFilterMatchesGo(t *testing.T) {
	for _, c := range filterCases {
		t.Run(c.name, func(t *testing.T) {
			goStages := []stage{{goFilter, "golden", c.goConfig}}
			rustStages := []stage{{rust(t, "rust_filter"), "golden", c.rust}}
			switch {
			case strings.HasPrefix(c.name, "traces"):
				compareChains(t, tracesChain, goStages, rustStages, !c.dropsNothing, goldenTraces(1), goldenTraces(3))
			case strings.HasPrefix(c.name, "metrics"):
				compareChains(t, metricsChain, goStages, rustStages, !c.dropsNothing, goldenMetrics(1), goldenMetrics(3))
			default:
				compareChains(t, logsChain, goStages, rustStages, !c.dropsNothing, goldenLogs(1), goldenLogs(3))
			}
		})
	}
}

// TestRedactionLogBodyIsGoOnly documents the part of redactionprocessor that rust_redaction
// leaves out (its documented scope is attributes): log bodies. With a card number in every
// (string) body, the Go processor masks it and records redaction.body.masked.* on the record;
// rust_redaction leaves bodies alone. Everything else is the same: the Rust output is the Go
// output for the same records with bodies no pattern matches, the original bodies put back.
func TestRedactionLogBodyIsGoOnly(t *testing.T) {
	config := redactionConfigs[0].config // allow list, card numbers masked, summary debug
	withCard, neutral := goldenLogs(1), goldenLogs(1)
	setBodies(withCard, "paid with 4111111111111111")
	setBodies(neutral, "paid with a card")

	goMasked := runChain(t, logsChain, []stage{{goRedaction, "body", config}}, withCard)
	goNeutral := runChain(t, logsChain, []stage{{goRedaction, "body", config}}, neutral)
	got := runChain(t, logsChain, []stage{{rust(t, "rust_redaction"), "body", config}}, withCard)
	if len(goMasked) != 1 || len(goNeutral) != 1 || len(got) != 1 {
		t.Fatalf("batches passed on: %d, %d, %d; want one each", len(goMasked), len(goNeutral), len(got))
	}
	record := goMasked[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	if body := record.Body().Str(); body != "paid with ****" {
		t.Fatalf("the Go processor left the body %q: the difference this test documents is gone", body)
	}
	if _, ok := record.Attributes().Get("redaction.body.masked.count"); !ok {
		t.Fatal("the Go processor wrote no redaction.body.masked.count")
	}
	setBodies(goNeutral[0], "paid with 4111111111111111")
	equalBatches(t, logsSignal, "rust vs go (bodies aside)", goNeutral, got)
}

func setBodies(ld plog.Logs, body string) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				lr.Body().SetStr(body)
			}
		}
	}
}

// TestFilterDifferences documents where rust_filter and filterprocessor's OTTL conditions
// disagree (rust_filter's README lists the regex, bytes, map and empty-value ones): on a batch
// of two spans, the second of which holds the value in question, each case's condition drops
// the span on one side only. The test fails when a difference disappears or turns around, so
// that the documentation is kept true.
func TestFilterDifferences(t *testing.T) {
	for _, c := range []struct {
		name, rust, goCondition string
		put                     func(pcommon.Map)
		rustDrops, goDrops      bool
	}{
		// Rust's \d is Unicode (rust_filter does not translate OTTL's Go regexes), Go's ASCII.
		{"perl_class_unicode", `{note: '\d{3}-\d{4}'}`, `IsMatch(attributes["note"], "\\d{3}-\\d{4}")`,
			func(m pcommon.Map) { m.PutStr("note", "call ٥٥٥-٠١٠٠") }, true, false},
		// Bytes are matched as pdata's AsString writes them (base64), OTTL's as hex.
		{"bytes_base64_not_hex", `{payload: '^aGVsbG8=$'}`, `IsMatch(attributes["payload"], "^aGVsbG8=$")`,
			func(m pcommon.Map) { m.PutEmptyBytes("payload").FromRaw([]byte("hello")) }, true, false},
		{"bytes_hex", `{payload: '^68656c6c6f$'}`, `IsMatch(attributes["payload"], "^68656c6c6f$")`,
			func(m pcommon.Map) { m.PutEmptyBytes("payload").FromRaw([]byte("hello")) }, false, true},
		// An attribute with an empty value is "" here; OTTL never matches it.
		{"empty_value", `{empty: '^$'}`, `IsMatch(attributes["empty"], "^$")`,
			func(m pcommon.Map) { m.PutEmpty("empty") }, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			td := ptrace.NewTraces()
			spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
			spans.AppendEmpty().SetName("kept")
			marked := spans.AppendEmpty()
			marked.SetName("marked")
			c.put(marked.Attributes())
			rustOut := runChain(t, tracesChain, []stage{{rust(t, "rust_filter"), "diff", "traces: {span: [{attributes: " + c.rust + "}]}"}}, td)
			goOut := runChain(t, tracesChain, []stage{{goFilter, "diff", fmt.Sprintf("traces: {span: [%q]}", c.goCondition)}}, td)
			if got := countItems(tracesSignal, rustOut) == 1; got != c.rustDrops {
				t.Errorf("rust_filter dropped the span: %v, documented %v", got, c.rustDrops)
			}
			if got := countItems(tracesSignal, goOut) == 1; got != c.goDrops {
				t.Errorf("the OTTL condition dropped the span: %v, documented %v", got, c.goDrops)
			}
		})
	}
}

// TestFilterEmptyContainers documents the one difference in what is removed around the
// items: filterprocessor removes every scope without items and resource without scopes that
// it meets, also when its conditions drop nothing (an empty scope in the input disappears);
// with rust_filter a batch where nothing is dropped passes unchanged, empty scope included.
// When something is dropped, both remove every empty container (the golden comparisons).
func TestFilterEmptyContainers(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetName("kept")
	rs.ScopeSpans().AppendEmpty().Scope().SetName("empty scope")
	for _, c := range []struct {
		name, rust, goConfig string
		rustScopes, goScopes int
	}{
		{"nothing_dropped", `traces: {span: [{name: '^none$'}]}`, `traces: {span: ['IsMatch(name, "^none$")']}`, 2, 1},
		{"something_dropped", `traces: {span: [{name: '^x$'}]}`, `traces: {span: ['IsMatch(name, "^x$")']}`, 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := tracesSignal.copyOf(td)
			if c.name == "something_dropped" {
				in.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty().SetName("x")
			}
			rustOut := runChain(t, tracesChain, []stage{{rust(t, "rust_filter"), "empty", c.rust}}, in)
			goOut := runChain(t, tracesChain, []stage{{goFilter, "empty", c.goConfig}}, in)
			if got := rustOut[0].ResourceSpans().At(0).ScopeSpans().Len(); got != c.rustScopes {
				t.Errorf("rust_filter left %d scopes, documented %d", got, c.rustScopes)
			}
			if got := goOut[0].ResourceSpans().At(0).ScopeSpans().Len(); got != c.goScopes {
				t.Errorf("filterprocessor's rule left %d scopes, documented %d", got, c.goScopes)
			}
		})
	}
}
