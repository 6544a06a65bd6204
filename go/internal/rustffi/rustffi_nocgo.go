//go:build !cgo

package rustffi

import (
	"context"
	"time"
)

// ComponentTypes lists the component types registered in the Rust library.
func ComponentTypes() ([]ComponentType, error) { return nil, ErrNoCgo }

// ExtensionTypes lists the extension types registered in the Rust library.
func ExtensionTypes() ([]ComponentType, error) { return nil, ErrNoCgo }

// DefaultConfig returns the default config of a component type in a kind.
func DefaultConfig(Kind, string) (map[string]any, error) { return nil, ErrNoCgo }

// ValidateConfig validates config in Rust and returns it normalized.
func ValidateConfig(Kind, string, map[string]any) (map[string]any, error) { return nil, ErrNoCgo }

// Dependencies returns the ids of the extensions an instance with config depends on.
func Dependencies(string, map[string]any) ([]string, error) { return nil, ErrNoCgo }

// CreateAndStart creates a Rust instance and starts it.
func CreateAndStart(context.Context, Kind, ComponentID, uint64, map[string]any, HostInfo) (Handle, []Instrument, error) {
	return 0, nil, ErrNoCgo
}

// Shutdown shuts the instance behind h down.
func Shutdown(context.Context, ComponentID, uint64, Handle) ([]string, error) { return nil, ErrNoCgo }

// WaitEvent waits up to timeout for the next event of the instance behind h.
func WaitEvent(Handle, time.Duration) (Event, error) { return Event{}, ErrNoCgo }

// Export hands one batch to the Rust exporter instance behind h: without cgo, a permanent
// failure saying so.
func Export(context.Context, Handle, Signal, []byte, int) ExportResult {
	return ExportResult{Outcome: ExportPermanent, Message: ErrNoCgo.Error()}
}

// Process runs a chain of Rust processors on a batch: without cgo, a permanent failure
// saying so.
func Process([]uint64, Signal, []byte, uint64) ProcessResult {
	return ProcessResult{Status: ProcessPermanent, StagesRun: 1, Message: ErrNoCgo.Error()}
}

// Release frees the Rust memory the result aliases: without cgo there is none.
func (r *ProcessResult) Release() {}

// LiveInstances counts started Rust instances not yet shut down.
func LiveInstances() (uint64, error) { return 0, ErrNoCgo }

// DrainLogs takes up to max records out of the Rust log buffer.
func DrainLogs(int) (LogBatch, error) { return LogBatch{}, ErrNoCgo }

// SetLogLevel sets the most verbose level Rust forwards records at.
func SetLogLevel(string) error { return ErrNoCgo }

// ReadMetrics answers the cumulative value of every series of the instance behind h.
func ReadMetrics(Handle) ([]Series, error) { return nil, ErrNoCgo }

// LibraryMetrics answers the Rust library's own cumulative counters.
func LibraryMetrics() (LibraryCounts, error) { return LibraryCounts{}, ErrNoCgo }
