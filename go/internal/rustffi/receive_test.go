package rustffi

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// delivererFunc adapts a function to Deliverer.
type delivererFunc func(Signal, Encoding, []byte) DeliverResult

func (f delivererFunc) Deliver(signal Signal, encoding Encoding, data []byte) DeliverResult {
	return f(signal, encoding, data)
}

// Guarantees: a delivery reaches the Deliverer its token names, with its signal, encoding and
// bytes; tokens are never 0 nor reused; once unregistered (or never registered) a token
// answers retryable "receiver is shut down" without reaching anyone.
func TestDeliverFindsItsReceiver(t *testing.T) {
	type call struct {
		who      string
		signal   Signal
		encoding Encoding
		data     string
	}
	var calls []call
	register := func(who string) uint64 {
		return RegisterReceiver(delivererFunc(func(signal Signal, encoding Encoding, data []byte) DeliverResult {
			calls = append(calls, call{who, signal, encoding, string(data)})
			return DeliverResult{Outcome: DeliverAccepted}
		}))
	}
	a, b := register("a"), register("b")
	defer UnregisterReceiver(a)
	if a == 0 || b == 0 || a == b {
		t.Fatalf("tokens %d and %d", a, b)
	}
	if got := deliver(b, SignalLogs, EncodingJSON, []byte("{}")); got != (DeliverResult{Outcome: DeliverAccepted}) {
		t.Errorf("to b: %+v", got)
	}
	if got := deliver(a, SignalMetrics, EncodingProtobuf, []byte{1}); got != (DeliverResult{Outcome: DeliverAccepted}) {
		t.Errorf("to a: %+v", got)
	}
	UnregisterReceiver(b)
	shutDown := DeliverResult{Outcome: DeliverRetryable, Message: "receiver is shut down"}
	for _, token := range []uint64{b, 0, b + 1000} {
		if got := deliver(token, SignalTraces, EncodingProtobuf, nil); got != shutDown {
			t.Errorf("to %d: %+v, want %+v", token, got, shutDown)
		}
	}
	want := []call{{"b", SignalLogs, EncodingJSON, "{}"}, {"a", SignalMetrics, EncodingProtobuf, "\x01"}}
	if len(calls) != len(want) || calls[0] != want[0] || calls[1] != want[1] {
		t.Errorf("calls %+v, want %+v", calls, want)
	}
	if c := register("c"); c <= b {
		t.Errorf("token %d after %d", c, b)
	} else {
		UnregisterReceiver(c)
	}
}

// Guarantees: a panic in the pipeline is the batch's permanent failure saying so (it must not
// unwind into Rust); a signal or encoding Go does not know is refused before the Deliverer.
func TestDeliverRefusesPanicsAndUnknownNumbers(t *testing.T) {
	reached := false
	token := RegisterReceiver(delivererFunc(func(Signal, Encoding, []byte) DeliverResult {
		reached = true
		panic("exporter exploded")
	}))
	defer UnregisterReceiver(token)
	if got, want := deliver(token, SignalTraces, EncodingProtobuf, nil), (DeliverResult{Outcome: DeliverPermanent, Message: "pipeline panicked: exporter exploded"}); got != want {
		t.Errorf("panic: %+v, want %+v", got, want)
	}
	reached = false
	for _, got := range []DeliverResult{deliver(token, Signal(3), EncodingProtobuf, nil), deliver(token, SignalTraces, Encoding(2), nil)} {
		if got.Outcome != DeliverPermanent || !strings.HasPrefix(got.Message, "malformed delivery from Rust: unknown ") {
			t.Errorf("unknown number: %+v", got)
		}
	}
	if reached {
		t.Error("an unknown signal or encoding reached the receiver")
	}
}

// Guarantees: the message Rust gets is valid UTF-8 of at most 1024 bytes, cut at a character
// boundary, whatever the pipeline's error said.
func TestDeliverCutsTheMessage(t *testing.T) {
	for name, c := range map[string]struct{ message, want string }{
		"short":                 {"refused", "refused"},
		"ascii, long":           {strings.Repeat("x", 3000), strings.Repeat("x", 1024)},
		"a 3-byte char on 1024": {strings.Repeat("x", 1022) + "€€€", strings.Repeat("x", 1022)},
		"a 4-byte char on 1024": {strings.Repeat("x", 1021) + "😀😀", strings.Repeat("x", 1021)},
		"a char ending on 1024": {strings.Repeat("x", 1021) + "€€", strings.Repeat("x", 1021) + "€"},
		"invalid UTF-8":         {"bad \xff byte", "bad \uFFFD byte"},
	} {
		t.Run(name, func(t *testing.T) {
			token := RegisterReceiver(delivererFunc(func(Signal, Encoding, []byte) DeliverResult {
				return DeliverResult{Outcome: DeliverRetryable, Message: c.message}
			}))
			defer UnregisterReceiver(token)
			if got := deliver(token, SignalTraces, EncodingProtobuf, nil).Message; got != c.want {
				t.Errorf("%d bytes, valid %t: %.40q..., want %d bytes", len(got), utf8.ValidString(got), got, len(c.want))
			}
		})
	}
}
