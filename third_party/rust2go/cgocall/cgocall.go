// Package cgocall is a minimal stand-in for rust2go's package of the same path: the calls
// rust2go-cli's generated Go code makes to enter Rust through ordinary cgo.
//
// Arguments are handed to C as integers (uintptr_t), not pointers. The generated code passes
// the addresses of small Go arrays whose elements point at Go memory; as pointers, cgo's
// default pointer check rejects them ("Go pointer to unpinned Go pointer"). As integers they
// pass. That is sound because:
//   - every argument is forced onto the heap (see escape): a goroutine stack can be copied
//     between taking an address and entering C, and Go does not update integers when it moves
//     a stack, while Go's heap never moves objects;
//   - the generated code keeps that memory alive with runtime.KeepAlive until the call returns;
//   - the Rust side reads and writes the arguments only during the call.
package cgocall

/*
#include <stdint.h>

typedef void (*rust2go_fn0)(void);
typedef void (*rust2go_fn1)(const void *);
typedef void (*rust2go_fn2)(const void *, const void *);

static void rust2go_call0(uintptr_t fn) { ((rust2go_fn0)fn)(); }
static void rust2go_call1(uintptr_t fn, uintptr_t a) { ((rust2go_fn1)fn)((const void *)a); }
static void rust2go_call2(uintptr_t fn, uintptr_t a, uintptr_t b) {
	((rust2go_fn2)fn)((const void *)a, (const void *)b);
}
*/
import "C"

import "unsafe"

// heapSink is never written (enabled is always false), but the compiler cannot prove that, so
// every pointer passed to escape is treated as escaping and allocated on the heap.
var heapSink struct {
	enabled bool
	p       unsafe.Pointer
}

func escape(p unsafe.Pointer) {
	if heapSink.enabled {
		heapSink.p = p
	}
}

// CallFuncG0P0 calls the C function fn with no arguments.
func CallFuncG0P0(fn unsafe.Pointer) {
	C.rust2go_call0(C.uintptr_t(uintptr(fn)))
}

// CallFuncG0P1 calls the C function fn with one pointer argument.
func CallFuncG0P1(fn, arg0 unsafe.Pointer) {
	escape(arg0)
	C.rust2go_call1(C.uintptr_t(uintptr(fn)), C.uintptr_t(uintptr(arg0)))
}

// CallFuncG0P2 calls the C function fn with two pointer arguments.
func CallFuncG0P2(fn, arg0, arg1 unsafe.Pointer) {
	escape(arg0)
	escape(arg1)
	C.rust2go_call2(C.uintptr_t(uintptr(fn)), C.uintptr_t(uintptr(arg0)), C.uintptr_t(uintptr(arg1)))
}
