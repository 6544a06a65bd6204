// Package statusutil is our stand-in for the collector's internal module of the same path,
// which the Go module proxy refuses at v0.164.0 (403) although the OTLP receiver imports it.
// It provides the two functions the collector calls: an HTTP-to-gRPC status mapping (per
// gRPC's published HTTP status mapping, with the collector's 400 and 429 exceptions) and a
// RetryInfo lookup.
package statusutil

import (
	"net/http"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var httpToGRPC = map[int]codes.Code{
	http.StatusBadRequest:         codes.InvalidArgument,
	http.StatusUnauthorized:       codes.Unauthenticated,
	http.StatusForbidden:          codes.PermissionDenied,
	http.StatusNotFound:           codes.Unimplemented,
	http.StatusTooManyRequests:    codes.ResourceExhausted,
	http.StatusBadGateway:         codes.Unavailable,
	http.StatusServiceUnavailable: codes.Unavailable,
	http.StatusGatewayTimeout:     codes.Unavailable,
}

// NewStatusFromMsgAndHTTPCode returns the gRPC status for an HTTP status code and message.
func NewStatusFromMsgAndHTTPCode(errMsg string, statusCode int) *status.Status {
	code, ok := httpToGRPC[statusCode]
	if !ok {
		code = codes.Unknown
	}
	return status.New(code, errMsg)
}

// GetRetryInfo returns the first RetryInfo detail of st, or nil.
func GetRetryInfo(st *status.Status) *errdetails.RetryInfo {
	for _, detail := range st.Details() {
		if info, ok := detail.(*errdetails.RetryInfo); ok {
			return info
		}
	}
	return nil
}
