package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	// Registers google.rpc.BadRequest and the other error details, so that
	// the "details" of an error body can hold them.
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxMessageBytes is the longest error message that the gateway writes,
// in bytes. Go's JSON, base64 and number parsers quote the invalid value,
// which can be most of the request body.
const maxMessageBytes = 300

// invalidRequestPrefix starts the message of every error that the gateway
// finds before the request reaches tenantry_server, so that a client can
// tell such errors from the server's.
const invalidRequestPrefix = "invalid request: "

type requestStateKey struct{}

// requestState is the record of one HTTP request on its way to
// tenantry_server. withBodyLimit stores it in the request's context,
// which grpc-gateway passes on to the gRPC call.
type requestState struct {
	// maxBodyBytes is the --max_body_bytes limit in force.
	maxBodyBytes int64
	// bodyTooLarge is set when reading the body passed maxBodyBytes.
	bodyTooLarge atomic.Bool
	// sentToBackend is set when grpc-gateway hands the request to the
	// gRPC client, so a later error comes from the server or from the
	// connection to it.
	sentToBackend atomic.Bool
}

func requestStateFrom(ctx context.Context) *requestState {
	state, _ := ctx.Value(requestStateKey{}).(*requestState)
	return state
}

// markSentToBackend is a gRPC client interceptor that records in the
// request's state that the call left the gateway.
func markSentToBackend(ctx context.Context, method string, request, reply interface{},
	conn *grpc.ClientConn, invoker grpc.UnaryInvoker, options ...grpc.CallOption) error {
	if state := requestStateFrom(ctx); state != nil {
		state.sentToBackend.Store(true)
	}
	return invoker(ctx, method, request, reply, conn, options...)
}

// messageTooLargePrefixes start the RESOURCE_EXHAUSTED messages of gRPC's
// message size limit: C++ (the server's receive limit) and Go.
var messageTooLargePrefixes = []string{
	"Received message larger than max",
	"grpc: received message larger than max",
}

// headerListTooLargePrefix starts grpc-go's error for metadata above the
// server's SETTINGS_MAX_HEADER_LIST_SIZE.
const headerListTooLargePrefix = "header list size to send violates the maximum size"

// messageSizes matches "(SIZE vs. LIMIT)" in those messages.
var messageSizes = regexp.MustCompile(`\((\d+) vs\. (\d+)\)`)

// writeHTTPError logs a failed call and writes it as grpc-gateway's
// DefaultHTTPError does, with the body {"error", "message", "code",
// "details"}, but with these changes:
//   - A body longer than --max_body_bytes is 413 Content Too Large.
//   - FAILED_PRECONDITION is 400 Bad Request, the mapping that
//     google/rpc/code.proto gives. grpc-gateway sends 412 Precondition
//     Failed, which HTTP uses for failed conditional headers such as
//     If-Match.
//   - RESOURCE_EXHAUSTED from gRPC's message size limit is 413 with a
//     message that names the limit. Other RESOURCE_EXHAUSTED stays 429.
//   - An error that the gateway found before sending the call starts with
//     "invalid request: ".
//   - The message is cut to maxMessageBytes.
func writeHTTPError(ctx context.Context, mux *runtime.ServeMux, marshaler runtime.Marshaler,
	w http.ResponseWriter, r *http.Request, err error) {
	state := requestStateFrom(r.Context())
	if state != nil && state.bodyTooLarge.Load() {
		writeBodyTooLarge(w, r, state.maxBodyBytes)
		return
	}

	grpcStatus := status.Convert(err)
	code := grpcStatus.Code()
	message := grpcStatus.Message()
	httpStatus := runtime.HTTPStatusFromCode(code)
	switch {
	case code == codes.FailedPrecondition:
		httpStatus = http.StatusBadRequest
	case code == codes.ResourceExhausted && isMessageTooLarge(message):
		httpStatus = http.StatusRequestEntityTooLarge
		message = describeMessageTooLarge(message)
	case code == codes.Internal && strings.HasPrefix(message, headerListTooLargePrefix):
		// grpc-go refuses to send metadata larger than the server's
		// limit; the client's headers caused it, not the server.
		code = codes.InvalidArgument
		httpStatus = http.StatusRequestHeaderFieldsTooLarge
		message = "the request headers, which the gateway forwards as gRPC metadata, " +
			"exceed tenantry_server's limit: " + strings.TrimPrefix(message, "grpc: ") +
			"; send shorter headers"
	}
	if state != nil && !state.sentToBackend.Load() {
		message = invalidRequestPrefix + message
	}
	message = truncateMessage(message)

	log.Printf("%s %s tenant=%q: HTTP %d, gRPC %v: %s",
		r.Method, truncateMessage(r.URL.Path), truncateMessage(r.Header.Get(tenantHeader)),
		httpStatus, code, message)
	body := grpcStatus.Proto()
	body.Code = int32(code)
	body.Message = message
	runtime.DefaultHTTPError(ctx, mux, marshaler, statusWriter{w, httpStatus}, r,
		status.ErrorProto(body))
}

func isMessageTooLarge(message string) bool {
	for _, prefix := range messageTooLargePrefixes {
		if strings.HasPrefix(message, prefix) {
			return true
		}
	}
	return false
}

// describeMessageTooLarge rewrites gRPC's "Received message larger than
// max (SIZE vs. LIMIT)" as a sentence that names the limit.
//
// NOTE: grpc-go writes the Go form for a message that it receives, so the
// gateway's own gRPC client also returns it for a response above its
// default 4 MiB receive limit. That case gets this 413 and message too.
func describeMessageTooLarge(message string) string {
	sizes := messageSizes.FindStringSubmatch(message)
	if sizes == nil {
		return "the request is too large for the gRPC message size limit of tenantry_server; send less data"
	}
	return fmt.Sprintf("the request is too large: tenantry_server accepts gRPC messages of at most %s bytes, "+
		"and this one has %s bytes; send less data or raise the server's limit", sizes[2], sizes[1])
}

// statusWriter writes its own HTTP status in place of the one that
// DefaultHTTPError chose.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w statusWriter) WriteHeader(int) {
	w.ResponseWriter.WriteHeader(w.status)
}

// writeRoutingError is grpc-gateway's OtherErrorHandler: it writes the
// JSON error body for a request that matches no route (404), a route
// without the request's method (405) or a form that does not parse (400).
// grpc-gateway's default writes plain text.
func writeRoutingError(w http.ResponseWriter, r *http.Request, message string, httpStatus int) {
	method := truncateMessage(r.Method)
	switch httpStatus {
	case http.StatusNotFound:
		writeErrorBody(w, r, httpStatus, codes.NotFound, fmt.Sprintf(
			"no route matches %s %s; GET /openapi.json lists the routes", method, r.URL.Path))
	case http.StatusMethodNotAllowed:
		writeErrorBody(w, r, httpStatus, codes.Unimplemented, fmt.Sprintf(
			"%s is not allowed on %s; GET /openapi.json lists the methods of each route", method, r.URL.Path))
	default:
		writeErrorBody(w, r, httpStatus, codes.InvalidArgument, message)
	}
}

// writeBodyTooLarge writes 413 for a body longer than --max_body_bytes.
// Its code is RESOURCE_EXHAUSTED, as for a body that passes the gateway
// but not the server's gRPC message size limit, so a client sees one code
// for "too large" from either.
func writeBodyTooLarge(w http.ResponseWriter, r *http.Request, maxBodyBytes int64) {
	writeErrorBody(w, r, http.StatusRequestEntityTooLarge, codes.ResourceExhausted, fmt.Sprintf(
		"the request body is larger than the gateway's limit of %d bytes; "+
			"send a smaller body or start tenantry_gateway with a larger --max_body_bytes",
		maxBodyBytes))
}

// errorBody is grpc-gateway's JSON error body.
type errorBody struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Code    int32             `json:"code"`
	Details []json.RawMessage `json:"details"`
}

// writeErrorBody logs and writes an error that the gateway found before
// the request reached grpc-gateway's handlers, with the same body as
// writeHTTPError. It adds invalidRequestPrefix to message.
func writeErrorBody(w http.ResponseWriter, r *http.Request, httpStatus int, code codes.Code, message string) {
	message = truncateMessage(invalidRequestPrefix + message)
	log.Printf("%s %s tenant=%q: HTTP %d, gRPC %v: %s",
		truncateMessage(r.Method), truncateMessage(r.URL.Path), truncateMessage(r.Header.Get(tenantHeader)),
		httpStatus, code, message)
	var body bytes.Buffer
	encoder := json.NewEncoder(&body)
	// "&" as it is, not "\u0026", as grpc-gateway writes it.
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(errorBody{
		Error:   message,
		Message: message,
		Code:    int32(code),
		Details: []json.RawMessage{},
	}); err != nil {
		// Strings and numbers always encode.
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	w.Write(bytes.TrimSuffix(body.Bytes(), []byte("\n")))
}

// quotedValue matches a double-quoted string in a message, as Go's
// parsers quote the value that they reject.
var quotedValue = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// maxQuotedBytes is the length to which truncateMessage shortens each
// quoted value in a message that is too long.
const maxQuotedBytes = 40

// truncateMessage returns message as valid UTF-8 of at most
// maxMessageBytes bytes. A longer message first has each quoted value
// shortened to maxQuotedBytes, so that the words after a long value stay,
// as in `parsing "99999...": value out of range`. If it is still too long,
// its end is cut. Each cut ends in "...", and invalid UTF-8 becomes
// U+FFFD.
func truncateMessage(message string) string {
	message = strings.ToValidUTF8(message, "\uFFFD")
	if len(message) <= maxMessageBytes {
		return message
	}
	message = quotedValue.ReplaceAllStringFunc(message, func(quoted string) string {
		value := quoted[1 : len(quoted)-1]
		if len(value) <= maxQuotedBytes {
			return quoted
		}
		return `"` + cutAtRune(value, maxQuotedBytes) + `"`
	})
	if len(message) <= maxMessageBytes {
		return message
	}
	return cutAtRune(message, maxMessageBytes)
}

// cutAtRune returns text cut to at most maxBytes bytes, ending in "...",
// without splitting a UTF-8 character. text must be longer than maxBytes.
func cutAtRune(text string, maxBytes int) string {
	const ellipsis = "..."
	end := maxBytes - len(ellipsis)
	for end > 0 && !utf8.RuneStart(text[end]) {
		end--
	}
	return text[:end] + ellipsis
}
