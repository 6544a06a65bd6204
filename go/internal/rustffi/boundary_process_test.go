//go:build cgo

package rustffi

import (
	"fmt"
	"testing"
	"unsafe"
)

// Guarantees: the result Go lends otelcol_rust_process has the layout Rust writes
// (rust/ffi/src/boundary.rs asserts the same numbers at compile time).
func TestProcessResultLayout(t *testing.T) {
	var out processOut
	got := []uintptr{unsafe.Sizeof(out), unsafe.Alignof(out),
		unsafe.Offsetof(out.status), unsafe.Offsetof(out.stages_run), unsafe.Offsetof(out.output),
		unsafe.Offsetof(out.replaced), unsafe.Offsetof(out.has_keep),
		unsafe.Offsetof(out.replacement), unsafe.Offsetof(out.replacement_len),
		unsafe.Offsetof(out.edits), unsafe.Offsetof(out.edits_len),
		unsafe.Offsetof(out.keep), unsafe.Offsetof(out.keep_items),
		unsafe.Offsetof(out.message_len), unsafe.Offsetof(out.message), uintptr(len(out.message))}
	want := []uintptr{1104, 8, 0, 4, 8, 16, 20, 24, 32, 40, 48, 56, 64, 72, 80, 1024}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("size, align, offsets of status, stages_run, output, replaced, has_keep, replacement, replacement_len, edits, edits_len, keep, keep_items, message_len, message, len(message):\ngot  %v\nwant %v", got, want)
	}
}
