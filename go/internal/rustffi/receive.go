package rustffi

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// The receivers' data path runs the other way from exports: a Rust delivery thread calls Go
// (boundary_receive.go's exported otelcolRustDeliver) with a token naming the Go receiver the
// batch is for. Tokens, not pointers, cross the boundary: Rust may still hold one after its
// receiver is gone, and such a token must find nothing rather than freed memory.

// deliverers maps the tokens RegisterReceiver answered to their Deliverer. Read on every
// delivery, written twice per receiver's life: a sync.Map reads without a lock.
var (
	deliverers sync.Map // uint64 -> Deliverer
	lastToken  atomic.Uint64
)

// RegisterReceiver records d and answers the token a Rust receiver instance delivers to it
// with (HostInfo.Receiver.Token); never 0. Batches for the token reach d until
// UnregisterReceiver.
func RegisterReceiver(d Deliverer) uint64 {
	token := lastToken.Add(1)
	deliverers.Store(token, d)
	return token
}

// UnregisterReceiver forgets the Deliverer behind token: a delivery for it answers retryable
// "receiver is shut down". A delivery already in d.Deliver finishes there.
func UnregisterReceiver(token uint64) {
	deliverers.Delete(token)
}

// MaxDeliverMessage is how many bytes of DeliverResult.Message reach Rust (the size of the
// result's message field).
const MaxDeliverMessage = 1024

// deliver answers one delivery: the Deliverer behind token decides, unless the token or the
// call is unknown. A panic in the pipeline is that batch's permanent failure, and the message
// is ready for the result's field (valid UTF-8, at most MaxDeliverMessage bytes).
func deliver(token uint64, signal Signal, encoding Encoding, data []byte) (result DeliverResult) {
	defer func() {
		if r := recover(); r != nil {
			// A panic must not cross into Rust: that would kill the process.
			result = DeliverResult{Outcome: DeliverPermanent, Message: fmt.Sprintf("pipeline panicked: %v", r)}
		}
		result.Message = cutMessage(result.Message)
	}()
	d, ok := deliverers.Load(token)
	switch {
	case !ok:
		return DeliverResult{Outcome: DeliverRetryable, Message: "receiver is shut down"}
	case signal > SignalLogs:
		return DeliverResult{Outcome: DeliverPermanent, Message: fmt.Sprintf("malformed delivery from Rust: unknown signal %d", uint32(signal))}
	case encoding > EncodingJSON:
		return DeliverResult{Outcome: DeliverPermanent, Message: fmt.Sprintf("malformed delivery from Rust: unknown encoding %d", uint32(encoding))}
	}
	return d.(Deliverer).Deliver(signal, encoding, data)
}

// cutMessage makes message what the result's field holds: invalid UTF-8 replaced, cut to at
// most MaxDeliverMessage bytes at a character boundary.
func cutMessage(message string) string {
	message = strings.ToValidUTF8(message, "\uFFFD")
	if len(message) <= MaxDeliverMessage {
		return message
	}
	cut := MaxDeliverMessage
	for cut > 0 && !utf8.RuneStart(message[cut]) {
		cut--
	}
	return message[:cut]
}
