//go:build otelcolrust_testcomponents && cgo

package exporterbench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The receiver both exporters send to: a net/http server on 127.0.0.1 that reads each OTLP/HTTP
// traces request, checks its headers (and, when compressed, the gzip magic), discards the
// body and answers 200 with an empty ExportTraceServiceResponse (which encodes to no bytes).
// It does not decompress or decode: that would cost both exporters the same and hide their
// difference. That the bodies are the batch is checked once, by TestExportersDeliverTheBatch,
// with a receiver that decompresses and compares.
//
// The benchmarks run it in a child process (this test binary, re-executed), so that the CPU
// time the benchmarks read from getrusage is the exporters', not the receiver's; the child's
// own scheduler also keeps it from competing with Go exporter goroutines inside one runtime
// (the Rust exporter's threads are outside it).

const (
	// receiverEnv makes the test binary serve the receiver instead of running tests.
	receiverEnv = "OTELCOL_RUST_EXPORTERBENCH_RECEIVER"
	// tracesPath ends every traces URL (endpoint + /v1/traces, as both exporters compose it).
	tracesPath = "/v1/traces"
)

// receiverStats are what a receiver has been sent.
type receiverStats struct {
	Requests int64 `json:"requests"` // answered 200
	Bytes    int64 `json:"bytes"`    // body bytes read, as sent (compressed or not)
	Refused  int64 `json:"refused"`  // answered 4xx
}

// receiver is the handler. With expect set it decompresses each body and refuses one that
// differs from expect.
type receiver struct {
	expect   []byte
	requests atomic.Int64
	bytes    atomic.Int64
	refused  atomic.Int64
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodGet && req.URL.Path == "/stats" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.stats())
		return
	}
	if err := r.receive(req); err != nil {
		r.refused.Add(1)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.requests.Add(1)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func (r *receiver) receive(req *http.Request) error {
	if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, tracesPath) {
		return fmt.Errorf("%s %s: not an OTLP/HTTP traces request", req.Method, req.URL.Path)
	}
	if got := req.Header.Get("Content-Type"); got != "application/x-protobuf" {
		return fmt.Errorf("content type %q", got)
	}
	encoding := req.Header.Get("Content-Encoding")
	if encoding != "gzip" && encoding != "" {
		return fmt.Errorf("content encoding %q", encoding)
	}
	if r.expect != nil {
		return r.compare(req.Body, encoding)
	}
	// Read the first bytes to check the gzip magic, discard the rest.
	var head [2]byte
	n, err := io.ReadFull(req.Body, head[:])
	rest, copyErr := io.Copy(io.Discard, req.Body)
	r.bytes.Add(int64(n) + rest)
	if err = errors.Join(err, copyErr); err != nil {
		return err
	}
	if encoding == "gzip" && (head[0] != 0x1f || head[1] != 0x8b) {
		return errors.New("the body is not gzip, though its Content-Encoding says so")
	}
	return nil
}

// compare refuses a body that is not r.expect once decompressed.
func (r *receiver) compare(body io.Reader, encoding string) error {
	data, err := io.ReadAll(body)
	r.bytes.Add(int64(len(data)))
	if err != nil {
		return err
	}
	if encoding == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return err
		}
		if data, err = io.ReadAll(zr); err != nil {
			return err
		}
	}
	if !bytes.Equal(data, r.expect) {
		return fmt.Errorf("the body (%d bytes, %q encoding) is not the batch (%d bytes)", len(data), encoding, len(r.expect))
	}
	return nil
}

func (r *receiver) stats() receiverStats {
	return receiverStats{Requests: r.requests.Load(), Bytes: r.bytes.Load(), Refused: r.refused.Load()}
}

// serveReceiver is the child process: it serves until its stdin closes (the parent exited or
// is done with it), after printing the address on stdout.
func serveReceiver() int {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	server := &http.Server{Handler: &receiver{}, ReadHeaderTimeout: time.Minute}
	go func() { _ = server.Serve(listener) }()
	fmt.Printf("listening %s\n", listener.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = server.Close()
	return 0
}

// remoteReceiver is the parent's view of the child.
type remoteReceiver struct {
	url    string // http://127.0.0.1:port
	client *http.Client
}

var (
	sharedReceiver     *remoteReceiver
	sharedReceiverErr  error
	sharedReceiverOnce sync.Once
	stopReceiver       func()
)

// childReceiver starts the receiver process once for the test binary (TestMain stops it).
func childReceiver(tb testing.TB) *remoteReceiver {
	tb.Helper()
	sharedReceiverOnce.Do(func() {
		sharedReceiver, stopReceiver, sharedReceiverErr = startChildReceiver()
	})
	if sharedReceiverErr != nil {
		tb.Fatal(sharedReceiverErr)
	}
	return sharedReceiver
}

func startChildReceiver() (*remoteReceiver, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), receiverEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		stop()
		return nil, nil, fmt.Errorf("the receiver process did not say where it listens (%q): %v", line, err)
	}
	return &remoteReceiver{url: "http://" + addr, client: &http.Client{Timeout: 10 * time.Second}}, stop, nil
}

func (r *remoteReceiver) stats(tb testing.TB) receiverStats {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url+"/stats", nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		tb.Fatalf("receiver stats: %v", err)
	}
	defer resp.Body.Close()
	var stats receiverStats
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		tb.Fatalf("receiver stats: %v", err)
	}
	return stats
}

func TestMain(m *testing.M) {
	if os.Getenv(receiverEnv) == "1" {
		os.Exit(serveReceiver())
	}
	code := m.Run()
	if stopReceiver != nil {
		stopReceiver()
	}
	os.Exit(code)
}
