//go:build otelcolrust_testcomponents && cgo

package receiverbench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// The client both receivers are sent to: this test binary, re-executed as a child process, so
// that the CPU time the benchmarks read from getrusage is the receiver's (and its consumer's),
// not the client's. The child reports its own CPU time, which is the same for both receivers
// (same requests, same answers), as client-cpu-ns/span. It takes one load at a time on stdin
// (a JSON load line) and answers a JSON result line on stdout; it exits when stdin closes.

// clientEnv makes the test binary run the client instead of tests.
const clientEnv = "OTELCOL_RUST_RECEIVERBENCH_CLIENT"

// load is what the client is asked to send: requests POSTs of the batch (gzipped when Gzip) to
// URL, from Clients goroutines, each on its own keep-alive connection.
type load struct {
	URL      string `json:"url"`
	Requests int    `json:"requests"`
	Clients  int    `json:"clients"`
	Gzip     bool   `json:"gzip"`
}

// loadResult is what the client saw: requests answered 200 (each body read), the first other
// answer or error, and the client's own CPU time while sending.
type loadResult struct {
	OK         int64         `json:"ok"`
	Failed     int64         `json:"failed"`
	FirstError string        `json:"first_error,omitempty"`
	CPU        time.Duration `json:"cpu"`
}

// payloads are the request bodies: the batch marshalled, plain and gzipped.
func payloads() (plain, gzipped []byte, err error) {
	plain, err = ptraceotlp.NewExportRequestFromTraces(NewBatch()).MarshalProto()
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(plain); err != nil {
		return nil, nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	return plain, buf.Bytes(), nil
}

// runClient is the child process.
func runClient() int {
	plain, gzipped, err := payloads()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	in, out := bufio.NewScanner(os.Stdin), json.NewEncoder(os.Stdout)
	for in.Scan() {
		var l load
		if err := json.Unmarshal(in.Bytes(), &l); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		body := plain
		if l.Gzip {
			body = gzipped
		}
		if err := out.Encode(send(l, body)); err != nil {
			return 1
		}
	}
	return 0
}

// send runs one load and answers what it saw.
func send(l load, body []byte) loadResult {
	transport := &http.Transport{
		MaxIdleConnsPerHost: l.Clients,
		// Plain HTTP/1.1 keep-alive, as otlphttp exporters use it to a receiver without TLS.
		ForceAttemptHTTP2: false,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	var (
		next, ok, failed atomic.Int64
		firstErr         sync.Once
		result           loadResult
		wg               sync.WaitGroup
	)
	cpuBefore := cpuTime()
	for range l.Clients {
		wg.Go(func() {
			for next.Add(1) <= int64(l.Requests) {
				if err := post(client, l, body); err != nil {
					failed.Add(1)
					firstErr.Do(func() { result.FirstError = err.Error() })
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	result.OK, result.Failed, result.CPU = ok.Load(), failed.Load(), cpuTime()-cpuBefore
	return result
}

func post(client *http.Client, l load, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, l.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if l.Gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	answer, err := io.ReadAll(resp.Body)
	if closeErr := resp.Body.Close(); err == nil {
		err = closeErr
	}
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("the receiver answered %s: %q", resp.Status, answer)
	}
	return err
}

// cpuTime is the CPU time (user and system) every thread of this process has used so far.
func cpuTime() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		panic(err) // RUSAGE_SELF with a valid pointer cannot fail
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// childClient is the parent's view of the client process.
type childClient struct {
	mu      sync.Mutex
	in      io.WriteCloser
	out     *json.Decoder
	wait    func() error
	started error
}

var client = &childClient{}

// run sends l through the client process (started on first use, for the whole test binary;
// TestMain stops it) and answers its result.
func (c *childClient) run(tb testing.TB, l load) loadResult {
	tb.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.in == nil && c.started == nil {
		c.started = c.start()
	}
	if c.started != nil {
		tb.Fatalf("the client process: %v", c.started)
	}
	line, err := json.Marshal(l)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := c.in.Write(append(line, '\n')); err != nil {
		tb.Fatalf("the client process: %v", err)
	}
	var result loadResult
	if err := c.out.Decode(&result); err != nil {
		tb.Fatalf("the client process: %v", err)
	}
	return result
}

func (c *childClient) start() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), clientEnv+"=1")
	cmd.Stderr = os.Stderr
	if c.in, err = cmd.StdinPipe(); err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	c.out, c.wait = json.NewDecoder(stdout), cmd.Wait
	return nil
}

func (c *childClient) stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.in == nil {
		return nil
	}
	return errors.Join(c.in.Close(), c.wait())
}

func TestMain(m *testing.M) {
	if os.Getenv(clientEnv) == "1" {
		os.Exit(runClient())
	}
	code := m.Run()
	if err := client.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "the client process:", err)
	}
	os.Exit(code)
}
