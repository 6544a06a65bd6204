package cgocall_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/ihciah/rust2go/cgocall"
	"github.com/ihciah/rust2go/cgocall/internal/cfunc"
)

const unpinned = "Go pointer to unpinned Go pointer"

// checkedCall passes C the address of an array holding ptr, as the generated code passes its
// parameter array, and returns what the call panicked with ("" if cgo let it through).
func checkedCall(ptr unsafe.Pointer) (panicked string) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprint(r)
		}
	}()
	params := [1]unsafe.Pointer{ptr}
	cgocall.CallFuncG0P1(cfunc.Take1, unsafe.Pointer(&params))
	runtime.KeepAlive(params)
	return ""
}

// Scenario: the generated code passes C an array holding a pointer to Go memory nobody pinned.
// Guarantees: cgo's default pointer check sees the argument and refuses the call, so every
// boundary call is held to cgo's rules (the arguments are not hidden from it as integers).
func TestUnpinnedArgumentIsRefused(t *testing.T) {
	if got := checkedCall(unsafe.Pointer(new(int))); !strings.Contains(got, unpinned) {
		t.Fatalf("call with an unpinned Go pointer in its argument: got panic %q, want %q", got, unpinned)
	}
}

// A stand-in for a rust2go reference struct: numbers, pointers, and nested structs and arrays.
type stringRef struct {
	ptr *byte
	len uintptr
}

type requestRef struct {
	handle uint64
	name   stringRef
	list   struct {
		ptr unsafe.Pointer
		len uintptr
	}
	parts [2]stringRef
}

// Scenario: a reference struct whose fields point at Go memory (string bytes, a buffer) is
// pinned with PinRef, then each object C could reach through it is passed to C.
// Guarantees: PinRef pins the struct and every object its pointer fields point to (fields of
// nested structs and arrays included; pointers are followed one level), and Unpin releases
// them all (the same calls are refused again).
func TestPinRefPinsEverythingCReads(t *testing.T) {
	text := strings.Repeat("x", 100) // heap bytes, as a request's strings are
	buffer := make([]byte, 64)
	ref := &requestRef{
		handle: 7,
		name:   stringRef{unsafe.StringData(text), uintptr(len(text))},
		parts:  [2]stringRef{{ptr: &buffer[8], len: 1}, {ptr: nil}},
	}
	ref.list.ptr = unsafe.Pointer(&buffer[0])
	reachable := map[string]unsafe.Pointer{
		"the struct":          unsafe.Pointer(ref),
		"a string's bytes":    unsafe.Pointer(ref.name.ptr),
		"a nested pointer":    ref.list.ptr,
		"an array's element":  unsafe.Pointer(ref.parts[0].ptr),
		"an interior pointer": unsafe.Pointer(&buffer[8]),
	}
	for what, ptr := range reachable {
		if got := checkedCall(ptr); !strings.Contains(got, unpinned) {
			t.Fatalf("before PinRef, %s: got panic %q, want %q", what, got, unpinned)
		}
	}

	var pinner runtime.Pinner
	if got := cgocall.PinRef(&pinner, ref); got != unsafe.Pointer(ref) {
		t.Fatalf("PinRef returned %p, want the struct's address %p", got, ref)
	}
	for what, ptr := range reachable {
		if got := checkedCall(ptr); got != "" {
			t.Errorf("after PinRef, %s: call refused: %s", what, got)
		}
	}

	pinner.Unpin()
	for what, ptr := range reachable {
		if got := checkedCall(ptr); !strings.Contains(got, unpinned) {
			t.Errorf("after Unpin, %s: got panic %q, want %q", what, got, unpinned)
		}
	}
	runtime.KeepAlive(text)
	runtime.KeepAlive(buffer)
}

// Scenario: PinRef is handed a Go struct with a string field, which is not a C struct.
// Guarantees: it refuses (panics naming the type) instead of leaving the string's bytes
// unpinned.
func TestPinRefRefusesGoTypes(t *testing.T) {
	type goRequest struct{ name string }
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "not a C struct") {
			t.Fatalf("PinRef of a struct with a string: got panic %v, want one saying it is not a C struct", r)
		}
	}()
	var pinner runtime.Pinner
	defer pinner.Unpin()
	cgocall.PinRef(&pinner, &goRequest{name: "x"})
}

// A stand-in for rust2go's list reference, named as cgo names it (its elements are references
// kept in a buffer the GC does not scan).
type fakeListRef struct {
	ptr unsafe.Pointer
	len uintptr
}

// Guarantees: a request holding a list is refused, since pinning the list's buffer would not
// pin what its elements point to.
func TestPinRefRefusesLists(t *testing.T) {
	type listRequest struct{ items fakeListRef }
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "holds a list") {
			t.Fatalf("PinRef of a struct with a list: got panic %v, want one saying it holds a list", r)
		}
	}()
	var pinner runtime.Pinner
	defer pinner.Unpin()
	cgocall.PinRef(&pinner, &listRequest{})
}

// BenchmarkPinRef is what pinning adds to a boundary call with the largest request the
// boundary has (StartRequest: four strings): PinRef, then Unpin.
func BenchmarkPinRef(b *testing.B) {
	texts := [4]string{}
	for i := range texts {
		texts[i] = strings.Repeat("x", 64+i)
	}
	ref := &struct{ fields [4]stringRef }{}
	for i, text := range texts {
		ref.fields[i] = stringRef{unsafe.StringData(text), uintptr(len(text))}
	}
	for b.Loop() {
		var pinner runtime.Pinner
		cgocall.PinRef(&pinner, ref)
		pinner.Unpin()
	}
}
