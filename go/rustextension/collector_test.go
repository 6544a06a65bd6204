package rustextension

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// runCollector runs an in-process collector from an extensions section (the body under
// "extensions:"), the ids to enable and a nop pipeline, with the Rust factories plus extra Go
// ones.
func runCollector(t *testing.T, extensions string, enabled []string, extra ...extension.Factory) *testutil.Collector {
	t.Helper()
	rust, err := NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	return testutil.RunCollector(t, collectorYAML(extensions, enabled), append(rust, extra...)...)
}

func collectorYAML(extensions string, enabled []string) string {
	return testutil.Config{Extensions: extensions, Enabled: enabled, Pipeline: testutil.NopPipeline}.YAML()
}

// Scenario: a collector with rust_sample and rust_sample/2 (the latter configured partially).
// Guarantees: both instances start and answer with their own ids and the host's version; the
// partial config keeps the other defaults (enabled); shutdown frees both ports.
func TestCollectorRunsRustExtensions(t *testing.T) {
	first, second := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
	col := runCollector(t, `
  rust_sample:
    endpoint: `+first+`
    timeout_ms: 1000
  rust_sample/2:
    endpoint: `+second+`
`, []string{"rust_sample", "rust_sample/2"})
	col.WaitRunning(t, 20*time.Second)
	for endpoint, id := range map[string]string{first: "rust_sample", second: "rust_sample/2"} {
		body, err := status(endpoint)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if body["component_id"] != id || body["host_version"] != "1.2.3-test" {
			t.Fatalf("%s: status %v", id, body)
		}
	}
	col.Stop(t)
	requirePortFree(t, first)
	requirePortFree(t, second)
	if n := liveInstances(t); n != 0 {
		t.Fatalf("%d Rust instances left after shutdown", n)
	}
}

// Guarantees: a bad Rust config fails collector start-up at config load with Rust's message,
// under the config path of the component and the key path of the problem (as the collector
// writes paths), with no empty field name in front and no JSON line and column.
func TestCollectorRejectsBadRustConfig(t *testing.T) {
	cases := map[string]struct{ section, want string }{
		"zero timeout": {"timeout_ms: 0", "extensions::rust_sample/bad: timeout_ms: must be greater than 0"},
		"unknown key":  {"endpont: localhost:1", "extensions::rust_sample/bad: endpont: unknown configuration key"},
		"wrong type":   {"enabled: [1]", "extensions::rust_sample/bad: enabled: invalid type: sequence, expected a boolean"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			col := runCollector(t, `
  rust_sample/bad:
    `+tc.section+`
`, []string{"rust_sample/bad"})
			err, ok := col.WaitStopped(20 * time.Second)
			if !ok {
				t.Fatal("collector still running with a bad config")
			}
			if err == nil {
				t.Fatal("collector ran with a bad config")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			for _, noise := range []string{"''", "line 1", "column"} {
				if strings.Contains(err.Error(), noise) {
					t.Errorf("error %q contains %q", err, noise)
				}
			}
		})
	}
}

// probe is a Go extension that checks, at its own Start and Shutdown, whether a Rust
// endpoint is up.
type probe struct {
	endpoint string
	mu       sync.Mutex
	seen     []string
}

func (p *probe) look(phase string) {
	conn, err := net.DialTimeout("tcp", p.endpoint, time.Second)
	state := "down"
	if err == nil {
		conn.Close()
		state = "up"
	}
	p.mu.Lock()
	p.seen = append(p.seen, phase+":"+state)
	p.mu.Unlock()
}

func (p *probe) factory() extension.Factory {
	return extension.NewFactory(component.MustNewType("probe"),
		func() component.Config { return &struct{}{} },
		func(context.Context, extension.Settings, component.Config) (extension.Extension, error) {
			return probeExtension{p}, nil
		}, component.StabilityLevelDevelopment)
}

type probeExtension struct{ *probe }

func (p probeExtension) Start(context.Context, component.Host) error { p.look("start"); return nil }
func (p probeExtension) Shutdown(context.Context) error              { p.look("shutdown"); return nil }

// Scenario: rust_sample declares depends_on: [probe]; probe records whether rust_sample's
// endpoint is up when probe starts and when it shuts down.
// Guarantees: the Rust extension starts after its dependency and shuts down before it.
func TestCollectorOrdersRustDependencies(t *testing.T) {
	endpoint := testutil.FreeEndpoint(t)
	p := &probe{endpoint: endpoint}
	col := runCollector(t, `
  probe:
  rust_sample:
    endpoint: `+endpoint+`
    depends_on: [probe]
`, []string{"rust_sample", "probe"}, p.factory())
	col.WaitRunning(t, 20*time.Second)
	col.Stop(t)
	p.mu.Lock()
	defer p.mu.Unlock()
	if strings.Join(p.seen, ",") != "start:down,shutdown:down" {
		t.Fatalf("probe saw rust_sample %v; want it down at both (started after, stopped before)", p.seen)
	}
}
