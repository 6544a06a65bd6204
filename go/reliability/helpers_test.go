//go:build otelcolrust_testcomponents

package reliability

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
	"github.com/otelcol-rust/otelcol-rust/go/rustextension"
)

func factory(t testing.TB, typ string) extension.Factory {
	t.Helper()
	factories, err := rustextension.NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range factories {
		if f.Type().String() == typ {
			return f
		}
	}
	t.Fatalf("%s is not registered (is this the test-components archive?)", typ)
	return nil
}

// newExtension loads conf for typ the way the collector does (Unmarshal) and creates the
// extension (no Rust instance yet).
func newExtension(t testing.TB, typ string, conf map[string]any) extension.Extension {
	t.Helper()
	f := factory(t, typ)
	cfg := f.CreateDefaultConfig().(*rustextension.RustComponentConfig)
	if err := cfg.Unmarshal(confmap.NewFromStringMap(conf)); err != nil {
		t.Fatal(err)
	}
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ext
}

var nopHost = componenttest.NewNopHost()

func liveInstances(t testing.TB) uint64 {
	t.Helper()
	n, err := rustffi.LiveInstances()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// rssBytes is this process's resident set size.
func rssBytes(t testing.TB) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	pages, err := strconv.ParseInt(strings.Fields(string(data))[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

var _ component.Host = nopHost
