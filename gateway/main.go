// Command tenantry_gateway serves Tenantry's gRPC API as JSON over HTTP,
// following the google.api.http annotations in proto/tenantry/v1, and
// forwards each call to tenantry_server. gateway/generate.sh builds it.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	tenantryv1 "tenantry.dev/gen/tenantry/v1"
)

// openAPI is the OpenAPI 2.0 description of all four services, generated
// by protoc-gen-swagger.
//
//go:embed openapi.json
var openAPI []byte

const tenantHeader = "x-tenant-id"

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "host:port to serve HTTP on; port 0 picks a free port")
	backend := flag.String("backend", "127.0.0.1:50051", "host:port of tenantry_server's gRPC endpoint")
	grace := flag.Duration("shutdown_grace", 10*time.Second, "how long requests in flight may finish after SIGINT or SIGTERM")
	flag.Parse()

	// grpc-gateway 1.6.4 reads the error writer from this package variable.
	runtime.HTTPError = writeHTTPError

	// Dialing is lazy: the gateway starts while the backend is down, and
	// calls made meanwhile fail with UNAVAILABLE (HTTP 503). After a failed
	// connection attempt gRPC waits before the next one; the default
	// backoff starts at 1 s and grows to 120 s, which would keep answering
	// 503 long after the server is back, so these waits stay short.
	conn, err := grpc.Dial(*backend, grpc.WithInsecure(),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay:  100 * time.Millisecond,
				Multiplier: 1.6,
				Jitter:     0.2,
				MaxDelay:   2 * time.Second,
			},
			MinConnectTimeout: 5 * time.Second,
		}))
	if err != nil {
		log.Fatalf("invalid --backend %q: %v", *backend, err)
	}
	defer conn.Close()

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("failed to listen on --listen %q: %v", *listen, err)
	}
	server := &http.Server{
		Handler:           newHandler(conn),
		ReadHeaderTimeout: 10 * time.Second,
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	log.Printf("tenantry_gateway listening on %s (port %d), backend %s",
		listener.Addr(), listener.Addr().(*net.TCPAddr).Port, *backend)

	select {
	case err := <-served:
		log.Fatalf("HTTP server failed: %v", err)
	case sig := <-stop:
		log.Printf("received %v; stopping, waiting up to %v for requests in flight", sig, *grace)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := server.Shutdown(ctx); err != nil {
		log.Printf("cutting off requests still in flight after %v: %v", *grace, err)
		server.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		log.Printf("HTTP server failed while stopping: %v", err)
	}
	log.Print("tenantry_gateway stopped")
}

// newHandler returns the HTTP handler of the four services and of
// GET /openapi.json.
func newHandler(conn *grpc.ClientConn) http.Handler {
	gateway := runtime.NewServeMux(
		// Field names as in the protos (full_name), and fields with default
		// values in the output, such as "state": "STATE_UNSPECIFIED".
		runtime.WithMarshalerOption(runtime.MIMEWildcard,
			&runtime.JSONPb{OrigName: true, EmitDefaults: true}),
		runtime.WithIncomingHeaderMatcher(matchIncomingHeader),
	)
	register := []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		tenantryv1.RegisterTenantServiceHandler,
		tenantryv1.RegisterUserServiceHandler,
		tenantryv1.RegisterProfileServiceHandler,
		tenantryv1.RegisterDocumentServiceHandler,
	}
	for _, r := range register {
		// These functions only add routes and fail on none of them.
		if err := r(context.Background(), gateway, conn); err != nil {
			log.Fatalf("failed to register a service: %v", err)
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/openapi.json", serveOpenAPI)
	mux.Handle("/", withBodyUpdateMask(gateway))
	return mux
}

// withBodyUpdateMask gives a PATCH request without an update_mask query
// parameter the mask of every field in its JSON body, with nested fields
// as dotted paths. An update_mask in the query is used as it is.
//
// generate.sh turns off grpc-gateway's allow_patch_feature, which builds
// the same mask from the body, because grpc-gateway 1.6.4 also adds the
// body's fields to a mask given in the query. A field outside that mask
// would then be updated.
func withBodyUpdateMask(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch || hasUpdateMaskParameter(r.URL.Query()) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			log.Printf("%s %s: failed to read the request body: %v", r.Method, r.URL.Path, err)
			http.Error(w, "failed to read the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		// Invalid JSON gets no mask here, and the generated handler
		// returns 400 for it.
		mask, err := runtime.FieldMaskFromRequestBody(bytes.NewReader(body))
		if err == nil && len(mask.GetPaths()) > 0 {
			query := r.URL.Query()
			query.Set("update_mask", strings.Join(mask.GetPaths(), ","))
			r.URL.RawQuery = query.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// hasUpdateMaskParameter reports whether the query sets the update_mask
// field, in any of the forms that grpc-gateway reads: update_mask,
// updateMask, update_mask.paths or update_mask[...].
func hasUpdateMaskParameter(query url.Values) bool {
	for key := range query {
		field := key
		if i := strings.IndexAny(key, ".["); i >= 0 {
			field = key[:i]
		}
		if field == "update_mask" || field == "updateMask" {
			return true
		}
	}
	return false
}

// matchIncomingHeader forwards the X-Tenant-ID header, in any letter case,
// as x-tenant-id metadata, and other headers as grpc-gateway does by
// default: Grpc-Metadata-Key as key, and standard HTTP headers with the
// grpcgateway- prefix. The gateway adds no tenant of its own.
func matchIncomingHeader(key string) (string, bool) {
	if strings.EqualFold(key, tenantHeader) {
		return tenantHeader, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed; use GET", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

// writeHTTPError logs a failed call and writes it as grpc-gateway's
// DefaultHTTPError does, with the body {"error", "message", "code",
// "details"}. The exception is FAILED_PRECONDITION: it becomes 400 Bad
// Request, the mapping that google/rpc/code.proto gives. grpc-gateway
// sends 412 Precondition Failed, which HTTP uses for failed conditional
// headers such as If-Match.
func writeHTTPError(ctx context.Context, mux *runtime.ServeMux, marshaler runtime.Marshaler,
	w http.ResponseWriter, r *http.Request, err error) {
	code := status.Code(err)
	httpStatus := runtime.HTTPStatusFromCode(code)
	if code == codes.FailedPrecondition {
		httpStatus = http.StatusBadRequest
		w = preconditionStatusWriter{w}
	}
	log.Printf("%s %s tenant=%q: HTTP %d, gRPC %v: %s",
		r.Method, r.URL.Path, r.Header.Get(tenantHeader), httpStatus, code, status.Convert(err).Message())
	runtime.DefaultHTTPError(ctx, mux, marshaler, w, r, err)
}

// preconditionStatusWriter writes 400 Bad Request in place of 412
// Precondition Failed and passes every other status through.
type preconditionStatusWriter struct {
	http.ResponseWriter
}

func (w preconditionStatusWriter) WriteHeader(code int) {
	if code == http.StatusPreconditionFailed {
		code = http.StatusBadRequest
	}
	w.ResponseWriter.WriteHeader(code)
}
