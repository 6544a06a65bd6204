//go:build otelcolrust_testcomponents

package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
	"github.com/otelcol-rust/otelcol-rust/go/rustextension"
)

// startCollector starts the built collector with config and env added to this process's
// environment (without RUST_BACKTRACE, so a test decides whether Rust captures backtraces);
// its output collects in the buffer while the test reads it. The process is killed when the
// test ends.
func startCollector(t *testing.T, bin, config string, env ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(bin, "--config", config)
	cmd.Env = append(withoutRustBacktrace(), env...)
	output := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, output
}

// waitFatalExit waits up to 30 s for the collector to exit with a non-zero status (not a
// signal), as the development collector does after a fatal error.
func waitFatalExit(t *testing.T, cmd *exec.Cmd, output *lockedBuffer) {
	t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() <= 0 {
			t.Fatalf("want a non-zero exit (not a signal), got %v\n%s", err, output.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("collector still running 30s after the fatal error\n%s", output.String())
	}
}

// lockedBuffer collects a child process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Scenario: rust_chaos panics in validate, in start, in shutdown.
// Guarantees: each panic becomes a Go error naming the component; no instance is left.
func TestPanicsBecomeErrorsNamingTheComponent(t *testing.T) {
	before := liveInstances(t)

	cfg := factory(t, "rust_chaos").CreateDefaultConfig().(*rustextension.RustComponentConfig)
	if err := cfg.Unmarshal(confmap.NewFromStringMap(map[string]any{"panic_in": "validate"})); err != nil {
		t.Fatal(err)
	}
	err := cfg.Validate() // Rust judges (and here panics) at Validate; Unmarshal only merges
	if err == nil || !strings.Contains(err.Error(), "rust component panicked: rust_chaos panics in validate") {
		t.Fatalf("validate: %v", err)
	}

	ext := newExtension(t, "rust_chaos", map[string]any{"panic_in": "start"})
	err = ext.Start(context.Background(), nopHost)
	if err == nil || !strings.Contains(err.Error(), `rust extension "rust_chaos`) ||
		!strings.Contains(err.Error(), "rust component panicked: rust_chaos panics in start") {
		t.Fatalf("start: %v", err)
	}

	ext = newExtension(t, "rust_chaos", map[string]any{"panic_in": "shutdown"})
	if err := ext.Start(context.Background(), nopHost); err != nil {
		t.Fatal(err)
	}
	err = ext.Shutdown(context.Background())
	if err == nil || !strings.Contains(err.Error(), `rust extension "rust_chaos`) ||
		!strings.Contains(err.Error(), "rust_chaos panics in shutdown") {
		t.Fatalf("shutdown: %v", err)
	}
	if err := ext.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown after a panicked shutdown: %v", err)
	}
	if after := liveInstances(t); after != before {
		t.Fatalf("live instances %d -> %d", before, after)
	}
}

// Guarantees: unknown, already shut down and zero handles are refused and touch nothing;
// handles only grow, so none is reused within the process.
func TestHandlesAreCheckedAndNeverReused(t *testing.T) {
	id := rustffi.ComponentID{Type: "rust_sample", Name: "handles"}
	config := map[string]any{"enabled": false}
	var last rustffi.Handle
	for range 50 {
		h, _, err := rustffi.CreateAndStart(context.Background(), rustffi.KindExtension, id, 0, config, rustffi.HostInfo{})
		if err != nil {
			t.Fatal(err)
		}
		if h <= last {
			t.Fatalf("handle %d issued after %d", h, last)
		}
		last = h
		if _, err := rustffi.Shutdown(context.Background(), id, 0, h); err != nil {
			t.Fatal(err)
		}
		if _, err := rustffi.Shutdown(context.Background(), id, 0, h); err == nil {
			t.Fatalf("handle %d shut down twice", h)
		}
	}
	before := liveInstances(t)
	for _, h := range []rustffi.Handle{0, last + 1000, ^rustffi.Handle(0)} {
		if _, err := rustffi.Shutdown(context.Background(), id, 0, h); err == nil {
			t.Fatalf("unknown handle %d shut down", h)
		}
	}
	if liveInstances(t) != before {
		t.Fatal("a refused shutdown changed the instance table")
	}
}

// Scenario: start and shutdown that never finish, awaiting forever or blocking their thread.
// Guarantees: the call returns within the context's deadline + 50 ms (+300 ms under the race
// detector, which runs beside other test packages) and no instance stays registered. (That a
// timed-out start is then cleaned up is checked in Rust: failed_start_is_followed_by_shutdown.)
func TestDeadlinesAreHonoured(t *testing.T) {
	const deadline = 200 * time.Millisecond
	// 50 ms, plus the 20 ms Rust waits for an aborted shutdown that blocks its thread
	// (ABORT_GRACE in rust/ffi/src/host.rs).
	margin := 70 * time.Millisecond
	if raceEnabled {
		margin = 300 * time.Millisecond
	}
	for _, thread := range []bool{false, true} {
		mode := map[bool]string{false: "async", true: "thread"}[thread]
		t.Run("start/"+mode, func(t *testing.T) {
			before := liveInstances(t)
			ext := newExtension(t, "rust_chaos", map[string]any{"block_in": "start", "block_thread": thread})
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			began := time.Now()
			err := ext.Start(ctx, nopHost)
			took := time.Since(began)
			t.Logf("start blocked (%s): returned after %v, overshoot %v", mode, took, took-deadline)
			if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
				t.Fatalf("got %v", err)
			}
			if took > deadline+margin {
				t.Fatalf("returned after %v, deadline %v", took, deadline)
			}
			if liveInstances(t) != before {
				t.Fatal("a timed-out start stayed registered")
			}
		})
		t.Run("shutdown/"+mode, func(t *testing.T) {
			before := liveInstances(t)
			ext := newExtension(t, "rust_chaos", map[string]any{"block_in": "shutdown", "block_thread": thread})
			if err := ext.Start(context.Background(), nopHost); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			began := time.Now()
			err := ext.Shutdown(ctx)
			took := time.Since(began)
			t.Logf("shutdown blocked (%s): returned after %v, overshoot %v", mode, took, took-deadline)
			if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
				t.Fatalf("got %v", err)
			}
			if took > deadline+margin {
				t.Fatalf("returned after %v, deadline %v", took, deadline)
			}
			if liveInstances(t) != before {
				t.Fatal("a timed-out shutdown left its handle")
			}
		})
	}
}

// Scenario: rust_chaos never finishes start (or shutdown), awaiting or blocking its thread;
// the Go context has no deadline and is cancelled after 200 ms.
// Guarantees: the call returns "context cancelled" soon after the cancel (the collector's own
// Start and Shutdown contexts carry no deadline, so cancellation must reach Rust), and no
// instance stays registered.
func TestCancellationEndsLifecycleCalls(t *testing.T) {
	const after = 200 * time.Millisecond
	margin := 500 * time.Millisecond
	if raceEnabled {
		margin = time.Second
	}
	call := func(t *testing.T, do func(context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		timer := time.AfterFunc(after, cancel)
		defer timer.Stop()
		began := time.Now()
		err := do(ctx)
		took := time.Since(began)
		if err == nil || !strings.Contains(err.Error(), "context cancelled") {
			t.Fatalf("got %v after %v", err, took)
		}
		if took < after || took > after+margin {
			t.Fatalf("returned after %v; cancelled after %v", took, after)
		}
	}
	for _, thread := range []bool{false, true} {
		mode := map[bool]string{false: "async", true: "thread"}[thread]
		t.Run("start/"+mode, func(t *testing.T) {
			before := liveInstances(t)
			ext := newExtension(t, "rust_chaos", map[string]any{"block_in": "start", "block_thread": thread})
			call(t, func(ctx context.Context) error { return ext.Start(ctx, nopHost) })
			if liveInstances(t) != before {
				t.Fatal("a cancelled start stayed registered")
			}
		})
		t.Run("shutdown/"+mode, func(t *testing.T) {
			before := liveInstances(t)
			ext := newExtension(t, "rust_chaos", map[string]any{"block_in": "shutdown", "block_thread": thread})
			if err := ext.Start(context.Background(), nopHost); err != nil {
				t.Fatal(err)
			}
			call(t, ext.Shutdown)
			if liveInstances(t) != before {
				t.Fatal("a cancelled shutdown left its handle")
			}
		})
	}
}

// Scenario: 10,000 create/start/shutdown cycles of one extension in one process
// (RELIABILITY_LONG=1: 100,000).
// Guarantees: the live-instance count returns to where it was and RSS stays flat.
func TestChurn(t *testing.T) {
	cycles := 10_000
	if os.Getenv("RELIABILITY_LONG") != "" {
		cycles = 100_000
	}
	cycle := func() {
		ext := newExtension(t, "rust_sample", map[string]any{"enabled": false})
		if err := ext.Start(context.Background(), nopHost); err != nil {
			t.Fatal(err)
		}
		if err := ext.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	before := liveInstances(t)
	for range 1000 { // warm-up: runtime, caches, Go heap
		cycle()
	}
	rssBefore := rssBytes(t)
	began := time.Now()
	for range cycles {
		cycle()
	}
	rssAfter := rssBytes(t)
	t.Logf("%d cycles in %v; RSS %.1f MiB -> %.1f MiB (race detector: %v)",
		cycles, time.Since(began), float64(rssBefore)/(1<<20), float64(rssAfter)/(1<<20), raceEnabled)
	if after := liveInstances(t); after != before {
		t.Fatalf("live instances %d -> %d", before, after)
	}
	if growth := rssAfter - rssBefore; !raceEnabled && growth > 16<<20 {
		t.Fatalf("RSS grew by %.1f MiB over %d cycles", float64(growth)/(1<<20), cycles)
	}
}

// Scenario: 16 goroutines each run 25 rust_sample instances that bind real ports.
// Guarantees: concurrent create/start/shutdown is safe (run under -race) and leaves nothing.
func TestConcurrentInstances(t *testing.T) {
	before := liveInstances(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for range 25 {
				ext := newExtension(t, "rust_sample", map[string]any{"endpoint": "127.0.0.1:0", "timeout_ms": 1000})
				if err := ext.Start(context.Background(), nopHost); err != nil {
					errs <- err
					return
				}
				if err := ext.Shutdown(context.Background()); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if after := liveInstances(t); after != before {
		t.Fatalf("live instances %d -> %d", before, after)
	}
}

// collectorConfig runs the given extensions beside an otlp -> debug pipeline.
func collectorConfig(extensions string, enabled ...string) string {
	return testutil.Config{
		Extensions: extensions,
		Enabled:    enabled,
		Pipeline:   testutil.OTLPPipeline("127.0.0.1:0"),
	}.YAML()
}

// Scenario: the built collector runs rust_chaos, whose background task panics after 300 ms.
// Guarantees: the process is not aborted: the panic is reported as the component's fatal
// error, the collector shuts down cleanly and exits non-zero with the message.
func TestBackgroundPanicShutsTheCollectorDown(t *testing.T) {
	bin := testutil.BuildCollector(t, t.TempDir(), "otelcolrust_testcomponents")
	config := testutil.WriteConfig(t, collectorConfig(`  rust_chaos:
    panic_in: background
    panic_after_ms: 300`, "rust_chaos"))
	cmd, output := startCollector(t, bin, config)
	waitFatalExit(t, cmd, output)
	for _, want := range []string{"background task panicked: rust_chaos panics in a background task", "Shutdown complete"} {
		if !strings.Contains(output.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, output.String())
		}
	}
}

// Scenario: 100 config reloads (SIGHUP) of the built collector running two Rust extensions.
// Guarantees: after every reload the Rust endpoints answer again; SIGTERM still exits 0.
func TestReloadsKeepServing(t *testing.T) {
	bin := testutil.BuildCollector(t, t.TempDir(), "otelcolrust_testcomponents")
	first, second := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
	config := testutil.WriteConfig(t, collectorConfig(fmt.Sprintf(`  rust_sample:
    endpoint: %s
    timeout_ms: 1000
  rust_sample/2:
    endpoint: %s
    timeout_ms: 1000`, first, second), "rust_sample", "rust_sample/2"))
	cmd, output := startCollector(t, bin, config)
	client := http.Client{Timeout: time.Second}
	answers := func(endpoint string) bool {
		resp, err := client.Get("http://" + endpoint + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	// Serving again after reload N means: both instances of generation N started (counted in
	// the log) and both endpoints answer.
	waitServing := func(round int) {
		deadline := time.Now().Add(15 * time.Second)
		for strings.Count(output.String(), "Extension started.") < 2*(round+1) ||
			!(answers(first) && answers(second)) {
			if time.Now().After(deadline) {
				t.Fatalf("not serving after reload %d\n%s", round, output.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitServing(0)
	began := time.Now()
	const reloads = 100
	for round := 1; round <= reloads; round++ {
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitServing(round)
	}
	t.Logf("%d reloads in %v, serving after each", reloads, time.Since(began))
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after reloads: %v\n%s", err, output.String())
	}
	if n := strings.Count(output.String(), "Extension started."); n != 2*(reloads+1) {
		t.Fatalf("%d Rust starts logged, want %d", n, 2*(reloads+1))
	}
}
