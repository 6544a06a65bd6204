package rustcomponent

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// statusHost keeps what a component reports, as the collector's host for a component does.
type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []*componentstatus.Event
}

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *statusHost) reported() []*componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

// Scenario: a Rust exporter (told neither Ready nor NotReady) reports two fatal errors while
// running, then one while the collector shuts it down.
// Guarantees: the first is reported as a permanent error status (synchronously, never on the
// collector's fatal-error channel, which could hang it) and logged; it is not FatalError();
// the second is only counted; the one during shutdown is logged, not reported; none holds up
// the extensions' one-report-per-process admission.
func TestExporterFatalErrorIsAPermanentErrorStatus(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	host := &statusHost{Host: componenttest.NewNopHost()}
	r := newFatalReporter(host, zap.New(core), KindExporter)
	r.report(errors.New("background task died"))
	r.report(errors.New("and again"))
	got := host.reported()
	if len(got) != 1 || got[0].Status() != componentstatus.StatusPermanentError || got[0].Err().Error() != "background task died" {
		t.Fatalf("reported %v", got)
	}
	if n := logs.FilterMessage("Rust exporter reported a fatal error; it is reported as a permanent error (the collector does not shut down)").Len(); n != 1 {
		t.Errorf("logged %d times", n)
	}
	if err := FatalError(); err != nil {
		t.Errorf("FatalError() = %v for an exporter's error", err)
	}
	r.shuttingDown()
	r.status(componentstatus.NewEvent(componentstatus.StatusOK))
	r.close()
	if got := host.reported(); len(got) != 1 {
		t.Errorf("reported during shutdown: %v", got[1:])
	}
	if n := logs.FilterMessage("Rust exporter reported further fatal errors, not reported").Len(); n != 1 {
		t.Errorf("the second fatal error was not counted in the log")
	}
	reports.mu.Lock()
	defer reports.mu.Unlock()
	if reports.running != 0 || reports.sent {
		t.Errorf("an exporter changed the extensions' report admission: running %d, sent %v", reports.running, reports.sent)
	}
}
