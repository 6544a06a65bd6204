package rustffi

import (
	"context"
	"errors"
	"time"
)

// ErrNoCgo is returned by every call when the binary was built with CGO_ENABLED=0.
var ErrNoCgo = errors.New("rust components are unavailable: this binary was built without cgo (build with CGO_ENABLED=1)")

// Handle names a started Rust instance. Zero is never a valid handle.
type Handle uint64

// ExtensionType is an extension type registered in the Rust library.
type ExtensionType struct {
	Type string `json:"type"`
	// Stability is the level the Rust factory declares, named as the collector names it
	// ("Development", "Alpha", ...; component.StabilityLevel's UnmarshalText reads it).
	Stability string `json:"stability"`
}

// ComponentID is a collector component id in the form Rust reads it.
type ComponentID struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// BuildInfo describes the collector binary.
type BuildInfo struct {
	Command     string `json:"command"`
	Description string `json:"description"`
	Version     string `json:"version"`
}

// HostInfo is what a Rust component can see of the collector.
type HostInfo struct {
	Build      BuildInfo `json:"build"`
	Extensions []string  `json:"extensions"`
}

// Event is something a running Rust instance reported.
type Event struct {
	// Kind is "none" (nothing within the wait), "fatal" or "closed" (shut down; no more events).
	Kind    string `json:"event"`
	Message string `json:"message"`
}

// callContext is the wire form of a context.Context: Rust gets the time left, not a clock
// reading, so the two sides never compare clocks.
type callContext struct {
	ID                  ComponentID `json:"id"`
	Cancelled           bool        `json:"cancelled"`
	DeadlineRemainingNS *uint64     `json:"deadline_remaining_ns,omitempty"`
	// Call is the token Rust is told to cancel this call with; 0 for none.
	Call uint64 `json:"call,omitempty"`
}

func newCallContext(ctx context.Context, id ComponentID, call uint64) callContext {
	// An expired deadline crosses as zero time left (Rust answers "deadline exceeded"), not as
	// a cancellation.
	wire := callContext{ID: id, Cancelled: errors.Is(ctx.Err(), context.Canceled), Call: call}
	if deadline, ok := ctx.Deadline(); ok {
		// Rust treats 0 as "already expired"; round a live deadline up to at least 1ns.
		left := uint64(max(time.Until(deadline), 0))
		if left == 0 && ctx.Err() == nil {
			left = 1
		}
		wire.DeadlineRemainingNS = &left
	}
	return wire
}

var archiveDigest string // set at link time: -ldflags=-X=<this package>.archiveDigest=<sha256>

// ArchiveDigest is the SHA-256 of the Rust archive this binary was linked with, as recorded by
// the build (see the Makefile); empty when the build did not record it.
func ArchiveDigest() string { return archiveDigest }
