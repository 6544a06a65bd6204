// Package cfunc holds C functions for cgocall's tests (cgo cannot be used in _test.go files).
package cfunc

/*
void cgocall_test_take1(const void *a) { (void)a; }
*/
import "C"

import "unsafe"

// Take1 is a C function that takes one pointer and does nothing with it: what a call costs
// and what cgo checks before it, without Rust.
var Take1 = unsafe.Pointer(C.cgocall_test_take1)
