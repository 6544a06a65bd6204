package contrib

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The stages of the pipeline comparisons. Each one acts on what the one before it wrote, so
// that running them in another order gives another output (TestPipelineOrderMatters checks
// that the comparisons would see it):
//   - a: redaction, every key allowed, card numbers hashed (md5), summary debug: items where a
//     card number was masked get redaction.masked.keys/count (merged with an upstream's);
//   - f: filter, drops the items whose redaction.masked.keys is exactly card.number (a's mark);
//   - b: redaction with an allow list, e-mail addresses and tokens masked, summary debug: its
//     summary merges into a's (key lists joined, counts added);
//   - g: filter, drops the items b removed a payload attribute from.
var (
	stageA = fmt.Sprintf(`
allow_all_keys: true
blocked_values: [%q, %q]
hash_function: md5
summary: debug
`, visa, mastercard)
	stageB = fmt.Sprintf(`
allowed_keys: [http.request.method, http.route, card.number, note, user.id, http.response.status_code, exception.message, service.name, host.name]
blocked_values: [%q, 'tok_[0-9a-f]+']
summary: debug
`, email)
	rustStageF = `
traces: {span: [{attributes: {redaction.masked.keys: '^card\.number$'}}]}
metrics: {datapoint: [{attributes: {redaction.masked.keys: '^card\.number$'}}]}
logs: {log_record: [{attributes: {redaction.masked.keys: '^card\.number$'}}]}
`
	goStageF = `
traces: {span: ['IsMatch(attributes["redaction.masked.keys"], "^card\\.number$")']}
metrics: {datapoint: ['IsMatch(attributes["redaction.masked.keys"], "^card\\.number$")']}
logs: {log_record: ['IsMatch(attributes["redaction.masked.keys"], "^card\\.number$")']}
`
	rustStageG = `
traces: {span: [{attributes: {redaction.redacted.keys: 'payload'}}]}
metrics: {datapoint: [{attributes: {redaction.redacted.keys: 'payload'}}]}
logs: {log_record: [{attributes: {redaction.redacted.keys: 'payload'}}]}
`
	goStageG = `
traces: {span: ['IsMatch(attributes["redaction.redacted.keys"], "payload")']}
metrics: {datapoint: ['IsMatch(attributes["redaction.redacted.keys"], "payload")']}
logs: {log_record: ['IsMatch(attributes["redaction.redacted.keys"], "payload")']}
`
)

// pipelineCase is a pipeline of Go and Rust processors and its all-Go equivalent, both as
// lists of processor ids (type/name) in pipeline order.
type pipelineCase struct {
	name    string
	mixed   []string
	goEquiv []string
	about   string
}

var pipelineCases = []pipelineCase{
	{"mixed", []string{"redaction/a", "rust_filter/f", "rust_redaction/b", "ottl_filter/g"},
		[]string{"redaction/a", "ottl_filter/f", "redaction/b", "ottl_filter/g"},
		"Go, Rust, Rust, Go: the two Rust processors share a crossing until the filter drops"},
	{"rust_chain", []string{"rust_redaction/a", "rust_filter/f", "rust_redaction/b"},
		[]string{"redaction/a", "ottl_filter/f", "redaction/b"},
		"three Rust processors in a row: edits, then a drop ends the fused run, then edits"},
	{"rust_fused", []string{"rust_redaction/a", "rust_redaction/b", "rust_filter/g"},
		[]string{"redaction/a", "redaction/b", "ottl_filter/g"},
		"edits, edits, keep/drop: one crossing for the three"},
	{"go_between", []string{"rust_redaction/a", "redaction/b", "rust_filter/g"},
		[]string{"redaction/a", "redaction/b", "ottl_filter/g"},
		"a Go processor between two Rust ones: no fusion across it"},
}

// configOf is the config of a processor id.
func configOf(id string) string {
	typ, name, _ := strings.Cut(id, "/")
	switch {
	case strings.HasSuffix(typ, "redaction") && name == "a":
		return stageA
	case strings.HasSuffix(typ, "redaction") && name == "b":
		return stageB
	case typ == "rust_filter" && name == "f":
		return rustStageF
	case typ == "ottl_filter" && name == "f":
		return goStageF
	case typ == "rust_filter" && name == "g":
		return rustStageG
	case typ == "ottl_filter" && name == "g":
		return goStageG
	}
	panic("no config for " + id)
}

// pipelinesConfig is one collector's config running every case's two pipelines for every
// signal: receiver golden/<case>-go|rust -> the processors -> exporter sink/<case>-go|rust.
func pipelinesConfig() string {
	configs := map[string]string{}
	var pipelines strings.Builder
	for _, c := range pipelineCases {
		for _, side := range []struct {
			suffix string
			ids    []string
		}{{"go", c.goEquiv}, {"rust", c.mixed}} {
			for _, id := range side.ids {
				configs[id] = configOf(id)
			}
			for _, sig := range []string{"traces", "metrics", "logs"} {
				fmt.Fprintf(&pipelines, "    %s/%s-%s:\n      receivers: [golden/%s-%s]\n      processors: [%s]\n      exporters: [sink/%s-%s]\n",
					sig, c.name, side.suffix, c.name, side.suffix, strings.Join(side.ids, ", "), c.name, side.suffix)
			}
		}
	}
	var receivers, exporters strings.Builder
	for _, c := range pipelineCases {
		for _, side := range []string{"go", "rust"} {
			fmt.Fprintf(&receivers, "  golden/%s-%s:\n", c.name, side)
			fmt.Fprintf(&exporters, "  sink/%s-%s:\n", c.name, side)
		}
	}
	return fmt.Sprintf(`receivers:
%s
%s
exporters:
%s
service:
  telemetry:
    metrics: {level: none}
    logs: {level: warn}
  pipelines:
%s`, receivers.String(), processorsYAML(configs), exporters.String(), pipelines.String())
}

// TestPipelinesMatchGo runs, in one real collector, every case's pipeline of Go and Rust
// processors beside its all-Go equivalent, for traces, metrics and logs, sends both the same
// batches through the collector's own consumers (receiver -> processors -> exporter), and
// requires exactly equal outputs at the exporters.
func TestPipelinesMatchGo(t *testing.T) {
	e := runCollector(t, pipelinesConfig())
	for _, c := range pipelineCases {
		t.Run(c.name, func(t *testing.T) {
			t.Logf("%v vs %v: %s", c.mixed, c.goEquiv, c.about)
			t.Run("traces", func(t *testing.T) {
				comparePipelines(t, e, c.name, tracesCollector, goldenTraces(1), goldenTraces(4))
			})
			t.Run("metrics", func(t *testing.T) {
				comparePipelines(t, e, c.name, metricsCollector, goldenMetrics(1), goldenMetrics(4))
			})
			t.Run("logs", func(t *testing.T) {
				comparePipelines(t, e, c.name, logsCollector, goldenLogs(1), goldenLogs(4))
			})
		})
	}
}

func comparePipelines[T any](t *testing.T, e *endpoints, name string, ops collectorOps[T], inputs ...T) {
	t.Helper()
	send(t, e, "golden/"+name+"-go", ops, inputs...)
	send(t, e, "golden/"+name+"-rust", ops, inputs...)
	want := received(t, e, "sink/"+name+"-go", ops)
	got := received(t, e, "sink/"+name+"-rust", ops)
	if len(want) == 0 {
		t.Fatal("the Go pipeline passed nothing on: the comparison would be empty")
	}
	if countItems(ops.signal, want) == countItems(ops.signal, inputs) {
		t.Fatal("the Go pipeline dropped nothing: the filters would not be compared")
	}
	equalBatches(t, ops.signal, name+" pipeline", want, got)
}

// TestPipelineOrderMatters shows that the pipeline comparisons see the order of processors:
// for every case and signal, the all-Go stages run in reverse order give another output than
// in pipeline order. A Rust pipeline that ran its processors out of order would therefore
// not match.
func TestPipelineOrderMatters(t *testing.T) {
	for _, c := range pipelineCases {
		inOrder := stagesOf(t, c.goEquiv)
		reversed := slices.Clone(inOrder)
		slices.Reverse(reversed)
		t.Run(c.name, func(t *testing.T) {
			orderMatters(t, tracesChain, inOrder, reversed, goldenTraces(1))
			orderMatters(t, metricsChain, inOrder, reversed, goldenMetrics(1))
			orderMatters(t, logsChain, inOrder, reversed, goldenLogs(1))
		})
	}
}

func orderMatters[T any](t *testing.T, ops chainOps[T], inOrder, reversed []stage, input T) {
	t.Helper()
	a := runChain(t, ops, inOrder, input)
	b := runChain(t, ops, reversed, input)
	if len(a) == len(b) && (len(a) == 0 || difference(ops.signal, a[0], b[0]) == "") {
		t.Errorf("%s: reversing the stages changes nothing", ops.name)
	}
}

// stagesOf turns processor ids into stages with their configs.
func stagesOf(tb testing.TB, ids []string) []stage {
	tb.Helper()
	stages := make([]stage, len(ids))
	for i, id := range ids {
		typ, name, _ := strings.Cut(id, "/")
		var f = goRedaction
		switch typ {
		case "ottl_filter":
			f = goFilter
		case "rust_filter", "rust_redaction":
			f = rust(tb, typ)
		}
		stages[i] = stage{f, name, configOf(id)}
	}
	return stages
}
