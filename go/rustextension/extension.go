package rustextension

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"

	"github.com/otelcol-rust/otelcol-rust/go/rustffi"
)

// defaultShutdownTimeout bounds a Rust shutdown when the collector's context has no deadline
// (its Shutdown context never has one).
const defaultShutdownTimeout = 30 * time.Second

// rustExtension is the Go wrapper of one Rust extension instance.
//
// Contract: Start creates and starts the Rust instance and fails if called twice. Shutdown is
// idempotent, safe without Start, and always forgets the Rust instance, even when Rust reports
// an error (which it logs and returns).
type rustExtension struct {
	id           component.ID
	config       *RustComponentConfig
	dependencies []component.ID
	logger       *zap.Logger
	build        component.BuildInfo

	mu     sync.Mutex
	handle rustffi.Handle // 0 while no Rust instance exists
}

var _ extensioncapabilities.Dependent = (*rustExtension)(nil)

func (e *rustExtension) Start(ctx context.Context, host component.Host) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle != 0 {
		return errors.New("already started")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("start not attempted: %w", err)
	}
	handle, err := rustffi.CreateAndStart(ctx, rustID(e.id), e.config.values, e.hostInfo(host))
	if err != nil {
		return err
	}
	e.handle = handle
	e.logger.Info("Rust extension started", zap.Uint64("handle", uint64(handle)))
	return nil
}

func (e *rustExtension) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle == 0 {
		return nil
	}
	handle := e.handle
	e.handle = 0
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultShutdownTimeout)
		defer cancel()
	}
	if err := rustffi.Shutdown(ctx, rustID(e.id), handle); err != nil {
		e.logger.Error("Rust extension shutdown failed", zap.Uint64("handle", uint64(handle)), zap.Error(err))
		return err
	}
	e.logger.Info("Rust extension stopped", zap.Uint64("handle", uint64(handle)))
	return nil
}

// Dependencies tells the collector which extensions must start before this one.
func (e *rustExtension) Dependencies() []component.ID { return e.dependencies }

func (e *rustExtension) hostInfo(host component.Host) rustffi.HostInfo {
	others := []string{}
	for id := range host.GetExtensions() {
		if id != e.id {
			others = append(others, id.String())
		}
	}
	slices.Sort(others)
	return rustffi.HostInfo{
		Build: rustffi.BuildInfo{
			Command:     e.build.Command,
			Description: e.build.Description,
			Version:     e.build.Version,
		},
		Extensions: others,
	}
}

func rustID(id component.ID) rustffi.ComponentID {
	return rustffi.ComponentID{Type: id.Type().String(), Name: id.Name()}
}
