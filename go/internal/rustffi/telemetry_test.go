//go:build cgo

package rustffi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// Guarantees: set_log_level takes the levels Go pushes and refuses others (Rust has no level
// Go could mean by them), answering the error.
func TestSetLogLevel(t *testing.T) {
	for _, level := range []string{"off", "error", "warn", "debug", "info"} { // info: Rust's default, left set
		if err := SetLogLevel(level); err != nil {
			t.Errorf("%s: %v", level, err)
		}
	}
	if err := SetLogLevel("trace"); err == nil || !strings.Contains(err.Error(), "trace") {
		t.Errorf("trace: %v, want an error naming it", err)
	}
}

// Scenario: a rust_sample instance started in scope 7 at level debug answers one request;
// the test drains the Rust buffer itself (nothing else drains it in this package) and reads
// the instance's metrics.
// Guarantees: DrainLogs answers the request's record as Rust emitted it (scope, level, time,
// message, target, file and line, fields with integers as exact json.Number); ReadMetrics
// answers the request counter's series with its attribute; after Shutdown the handle's
// metrics are empty, not an error.
func TestDrainLogsAndReadMetrics(t *testing.T) {
	const scope = 7
	if err := SetLogLevel("debug"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := SetLogLevel("info"); err != nil {
			t.Error(err)
		}
	}()
	endpoint := testutil.FreeEndpoint(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id := ComponentID{Type: "rust_sample", Name: "drain"}
	h, instruments, err := CreateAndStart(ctx, KindExtension, id, scope, map[string]any{"endpoint": endpoint}, HostInfo{})
	if err != nil {
		t.Fatal(err)
	}
	shut := false
	defer func() {
		if !shut {
			_, _ = Shutdown(ctx, id, scope, h)
		}
	}()
	requests := -1
	for i, inst := range instruments {
		if inst.Name == "rust_sample_requests" && inst.Kind == "counter" {
			requests = i
		}
	}
	if requests < 0 {
		t.Fatalf("instruments %+v lack the counter rust_sample_requests", instruments)
	}
	before := time.Now()
	client := http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + endpoint + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	after := time.Now()

	var record *LogRecord
	for {
		batch, err := DrainLogs(1024)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range batch.Records {
			if r.Scope == scope && r.Message == "request" {
				record = &batch.Records[i]
			}
		}
		if len(batch.Records) < 1024 {
			break
		}
	}
	if record == nil {
		t.Fatal("no request record of scope 7 in the buffer")
	}
	when := time.Unix(0, int64(record.TimeUnixNano))
	if record.Level != "debug" || when.Before(before) || when.After(after) ||
		!strings.HasPrefix(record.Target, "rust_sample") || !strings.HasSuffix(record.File, ".rs") || record.Line == 0 {
		t.Errorf("record %+v (at %v, request between %v and %v)", record, when, before, after)
	}
	fields := map[string]any{}
	for _, f := range record.Fields {
		fields[f.Key] = f.Value
	}
	if fields["path"] != "/" || fields["status"] != json.Number("200") || fields["method"] != "GET" {
		t.Errorf("fields %#v", fields)
	}

	series, err := ReadMetrics(h)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range series {
		if s.Instrument == requests && len(s.Attributes) == 1 && s.Attributes[0].Key == "http.response.status_code" {
			found = s.Value == json.Number("1") && s.Attributes[0].Value == json.Number("200")
		}
	}
	if !found {
		t.Errorf("series %+v lack rust_sample_requests{http.response.status_code=200} = 1", series)
	}

	shut = true
	if _, err := Shutdown(ctx, id, scope, h); err != nil {
		t.Fatal(err)
	}
	if series, err := ReadMetrics(h); err != nil || len(series) != 0 {
		t.Errorf("metrics of a shut-down handle: %+v, %v; want none and no error", series, err)
	}
}

// Guarantees: LibraryMetrics counts a call that answered an error (boundary_calls and
// boundary_errors both grow) and agrees with LiveInstances.
func TestLibraryMetricsCountErrors(t *testing.T) {
	before, err := LibraryMetrics()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ValidateConfig(KindExtension, "rust_sample", map[string]any{"timeout_ms": 0}); err == nil {
		t.Fatal("an invalid config validated")
	}
	after, err := LibraryMetrics()
	if err != nil {
		t.Fatal(err)
	}
	if after.BoundaryCalls <= before.BoundaryCalls || after.BoundaryErrors <= before.BoundaryErrors {
		t.Errorf("calls %d -> %d, errors %d -> %d: the failed call is not counted",
			before.BoundaryCalls, after.BoundaryCalls, before.BoundaryErrors, after.BoundaryErrors)
	}
	live, err := LiveInstances()
	if err != nil {
		t.Fatal(err)
	}
	if after.LiveInstances != live {
		t.Errorf("live_instances %d, LiveInstances %d", after.LiveInstances, live)
	}
}
