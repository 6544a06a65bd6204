// Package cgocall is a minimal stand-in for rust2go's package of the same path: the calls
// rust2go-cli's generated Go code makes to enter Rust through ordinary cgo.
//
// Arguments reach C as pointers, so cgo's default pointer check (cgocheck=1) inspects every
// call, and the calls follow cgo's pointer-passing rules as written, with nothing hidden:
//   - The generated code passes the address of the reply slot (empty on entry; Rust writes
//     two pointers to Rust memory into it) and of the parameter array, whose elements point at
//     rust2go's C reference structs, which point at Go memory again (string data). A Go
//     pointer inside memory passed to C must be pinned, and so must what C reads through it:
//     tools/generate-boundary.sh makes every generated method pin each parameter with PinRef
//     and unpin when it returns.
//   - cgo keeps the memory an argument points to where it is for the duration of the call,
//     and Rust reads and writes the arguments only during the call.
//
// The function itself is passed as an integer: it is the address of a C (Rust) function, not a
// Go pointer, so there is nothing for cgo to check, and checking it anyway cost an empty call
// about 7 ns, over a quarter of it (docs/performance.md).
package cgocall

/*
#include <stdint.h>

typedef void (*rust2go_fn0)(void);
typedef void (*rust2go_fn1)(const void *);
typedef void (*rust2go_fn2)(const void *, const void *);

static void rust2go_call0(uintptr_t fn) { ((rust2go_fn0)fn)(); }
static void rust2go_call1(uintptr_t fn, const void *a) { ((rust2go_fn1)fn)(a); }
static void rust2go_call2(uintptr_t fn, const void *a, const void *b) {
	((rust2go_fn2)fn)(a, b);
}
*/
import "C"

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// CallFuncG0P0 calls the C function fn with no arguments.
func CallFuncG0P0(fn unsafe.Pointer) {
	C.rust2go_call0(C.uintptr_t(uintptr(fn)))
}

// CallFuncG0P1 calls the C function fn with one pointer argument.
func CallFuncG0P1(fn, arg0 unsafe.Pointer) {
	C.rust2go_call1(C.uintptr_t(uintptr(fn)), arg0)
}

// CallFuncG0P2 calls the C function fn with two pointer arguments.
func CallFuncG0P2(fn, arg0, arg1 unsafe.Pointer) {
	C.rust2go_call2(C.uintptr_t(uintptr(fn)), arg0, arg1)
}

// PinRef pins *ref and every object a pointer field of *ref points to (through nested structs
// and arrays) with p, and returns ref for the generated parameter array. The objects stay
// pinned until p.Unpin.
//
// T must be a C struct type as cgo translates it (rust2go's `...Ref` types): its fields are
// numbers, pointers, arrays and structs. Those pointers are then the only Go pointers C can
// read through ref, because rust2go hands C nothing else: a string is a pointer to its bytes
// plus a length.
func PinRef[T any](p *runtime.Pinner, ref *T) unsafe.Pointer {
	p.Pin(ref)
	base := unsafe.Pointer(ref)
	for _, offset := range pointerOffsets(reflect.TypeFor[T]()) {
		// Pointer arithmetic inside the object *ref, to a field the layout says is a pointer.
		if field := *(*unsafe.Pointer)(unsafe.Add(base, offset)); field != nil {
			p.Pin(field)
		}
	}
	return base
}

// layouts caches pointerOffsets per type: a call is on every boundary call's path, the
// reflection walk only on the first call per type.
var layouts sync.Map // reflect.Type -> []uintptr

// pointerOffsets lists the offsets of the pointer fields of t.
func pointerOffsets(t reflect.Type) []uintptr {
	if offsets, ok := layouts.Load(t); ok {
		return offsets.([]uintptr)
	}
	offsets := appendPointerOffsets(nil, t, 0)
	layouts.Store(t, offsets)
	return offsets
}

func appendPointerOffsets(offsets []uintptr, t reflect.Type, base uintptr) []uintptr {
	switch t.Kind() {
	case reflect.Pointer, reflect.UnsafePointer:
		return append(offsets, base)
	case reflect.Struct:
		if strings.HasSuffix(t.Name(), "ListRef") {
			// A list's elements are references rust2go keeps in a []byte the GC does not
			// scan; pinning the buffer would not pin what its elements point to. No request
			// has a list today; one would need each element pinned.
			panic(fmt.Sprintf("cgocall.PinRef: %v holds a list, whose elements it cannot pin", t))
		}
		for i := range t.NumField() {
			field := t.Field(i)
			offsets = appendPointerOffsets(offsets, field.Type, base+field.Offset)
		}
	case reflect.Array:
		for i := range t.Len() {
			offsets = appendPointerOffsets(offsets, t.Elem(), base+uintptr(i)*t.Elem().Size())
		}
	case reflect.String, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func, reflect.Interface:
		// Go-only types hold pointers this walk does not follow; cgo never puts them in a C
		// struct, so reaching one means generated code passed something that is not a C
		// reference struct: a bug in the generated code, found by its first call in any test.
		panic(fmt.Sprintf("cgocall.PinRef: not a C struct type: it holds a %v", t))
	}
	return offsets
}
