//go:build !cgo

package rustffi

import (
	"context"
	"errors"
	"testing"
)

// Guarantees: built without cgo, every call fails with ErrNoCgo instead of failing to compile.
func TestEveryCallFailsClearlyWithoutCgo(t *testing.T) {
	_, err1 := ComponentTypes()
	_, err2 := DefaultConfig(KindExtension, "rust_sample")
	_, err3 := ValidateConfig(KindExtension, "rust_sample", nil)
	_, err4 := Dependencies("rust_sample", nil)
	_, _, err5 := CreateAndStart(context.Background(), KindExtension, ComponentID{Type: "rust_sample"}, 0, nil, HostInfo{})
	_, err6 := Shutdown(context.Background(), ComponentID{Type: "rust_sample"}, 0, 1)
	_, err7 := LiveInstances()
	_, err8 := WaitEvent(1, 0)
	_, err9 := DrainLogs(1)
	err10 := SetLogLevel("info")
	_, err11 := ReadMetrics(1)
	_, err12 := LibraryMetrics()
	_, err13 := ExtensionTypes()
	for i, err := range []error{err1, err2, err3, err4, err5, err6, err7, err8, err9, err10, err11, err12, err13} {
		if !errors.Is(err, ErrNoCgo) {
			t.Errorf("call %d: got %v, want ErrNoCgo", i+1, err)
		}
	}
	if result := Export(context.Background(), 1, SignalLogs, nil, 0); result.Outcome != ExportPermanent || result.Message != ErrNoCgo.Error() {
		t.Errorf("Export: got %+v, want a permanent ErrNoCgo", result)
	}
}
