// Command tenantry_gateway serves Tenantry's gRPC API as JSON over HTTP,
// following the google.api.http annotations in proto/tenantry/v1, and
// forwards each call to tenantry_server. gateway/generate.sh builds it.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"

	tenantryv1 "tenantry.dev/gen/tenantry/v1"
)

// openAPI is the OpenAPI 2.0 description of all four services, generated
// by protoc-gen-swagger and rewritten by fix_openapi.py.
//
//go:embed openapi.json
var openAPI []byte

const tenantHeader = "x-tenant-id"

// defaultMaxBodyBytes fits a document at the server's default
// --max_document_bytes (4 MiB less 64 KiB) in base64, which is 4/3 of
// its size, with the other fields of the JSON body: 6 MiB.
const defaultMaxBodyBytes = 6 << 20

// defaultMaxResponseBytes is the largest gRPC response the gateway takes
// from the server: four times gRPC's default of 4 MiB, room for a server
// whose --max_document_bytes was raised.
const defaultMaxResponseBytes = 16 << 20

// config is the command line of tenantry_gateway.
type config struct {
	listen        string
	backend       string
	shutdownGrace time.Duration
	maxBodyBytes  int64
	// maxResponseBytes limits each gRPC response from the server.
	maxResponseBytes int
	// backendCAFile, if set, is the PEM file of the certificates that the
	// server's TLS certificate must chain to; empty means plaintext.
	backendCAFile string
}

// exitUsage is the exit code for an invalid command line, as Go's flag
// package uses it.
const exitUsage = 2

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		// The flag package has already printed its own parse errors.
		var invalid invalidFlagError
		if errors.As(err, &invalid) {
			fmt.Fprintf(os.Stderr, "tenantry_gateway: %v\n", err)
		}
		os.Exit(exitUsage)
	}

	// grpc-gateway 1.6.4 reads its error writers from these package
	// variables: HTTPError for failed calls, OtherErrorHandler for
	// requests that match no route.
	runtime.HTTPError = writeHTTPError
	runtime.OtherErrorHandler = writeRoutingError

	// Dialing is lazy: the gateway starts while the backend is down, and
	// calls made meanwhile fail with UNAVAILABLE (HTTP 503). After a failed
	// connection attempt gRPC waits before the next one. Its default wait
	// starts at 1 s and grows to 120 s, so calls would keep getting 503
	// long after the server is back. These settings keep the waits short.
	transport := grpc.WithInsecure()
	if cfg.backendCAFile != "" {
		tls, err := credentials.NewClientTLSFromFile(cfg.backendCAFile, "")
		if err != nil {
			log.Fatalf("invalid --backend_ca_file=%s: %v; pass a PEM file with the certificate that signed the server's", cfg.backendCAFile, err)
		}
		transport = grpc.WithTransportCredentials(tls)
	}
	conn, err := grpc.Dial(cfg.backend, transport,
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay:  100 * time.Millisecond,
				Multiplier: 1.6,
				Jitter:     0.2,
				MaxDelay:   2 * time.Second,
			},
			MinConnectTimeout: 5 * time.Second,
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.maxResponseBytes)),
		grpc.WithUnaryInterceptor(markSentToBackend))
	if err != nil {
		log.Fatalf("invalid --backend %q: %v", cfg.backend, err)
	}
	defer conn.Close()

	listener, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		log.Fatalf("failed to listen on --listen %q: %v", cfg.listen, err)
	}
	server := &http.Server{
		Handler:           newHandler(conn, cfg.maxBodyBytes),
		ReadHeaderTimeout: 10 * time.Second,
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	log.Printf("tenantry_gateway listening on %s (port %d), backend %s, max body %d bytes",
		listener.Addr(), listener.Addr().(*net.TCPAddr).Port, cfg.backend, cfg.maxBodyBytes)

	select {
	case err := <-served:
		log.Fatalf("HTTP server failed: %v", err)
	case sig := <-stop:
		log.Printf("received %v; stopping, waiting up to %v for requests in flight", sig, cfg.shutdownGrace)
	}

	ctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownGrace)
	defer cancel()
	if err := server.Shutdown(ctx); err != nil {
		log.Printf("cutting off requests still in flight after %v: %v", cfg.shutdownGrace, err)
		server.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		log.Printf("HTTP server failed while stopping: %v", err)
	}
	log.Print("tenantry_gateway stopped")
}

// invalidFlagError is a flag value that parsed but is out of range.
type invalidFlagError struct {
	message string
}

func (e invalidFlagError) Error() string { return e.message }

// parseFlags parses and validates the command line. It returns
// flag.ErrHelp for -help, an invalidFlagError for a value out of range,
// and another error, which the flag package has already printed, for a
// value that does not parse.
func parseFlags(args []string) (config, error) {
	var cfg config
	flags := flag.NewFlagSet("tenantry_gateway", flag.ContinueOnError)
	flags.StringVar(&cfg.listen, "listen", "127.0.0.1:8080",
		"host:port to serve HTTP on; port 0 picks a free port")
	flags.StringVar(&cfg.backend, "backend", "127.0.0.1:50051",
		"host:port of tenantry_server's gRPC endpoint, with a port from 1 to 65535; an IPv6 host goes in brackets, as in [::1]:50051")
	flags.DurationVar(&cfg.shutdownGrace, "shutdown_grace", 10*time.Second,
		"how long requests in flight may finish after SIGINT or SIGTERM, 0s or more")
	flags.Int64Var(&cfg.maxBodyBytes, "max_body_bytes", defaultMaxBodyBytes,
		"largest request body accepted, in bytes; a larger one gets HTTP 413")
	flags.IntVar(&cfg.maxResponseBytes, "max_response_bytes", defaultMaxResponseBytes,
		"largest gRPC response accepted from the server, in bytes; raise it with the server's --max_document_bytes")
	flags.StringVar(&cfg.backendCAFile, "backend_ca_file", "",
		"PEM file of the certificate authority (or the self-signed certificate) of a tenantry_server that serves TLS; empty connects in plaintext")
	if err := flags.Parse(args); err != nil {
		return config{}, err
	}

	if flags.NArg() > 0 {
		return config{}, invalidFlagError{fmt.Sprintf(
			"unexpected argument %q: tenantry_gateway takes only flags, each written as --name=value, for example --backend=127.0.0.1:50051",
			flags.Arg(0))}
	}
	if cfg.shutdownGrace < 0 {
		return config{}, invalidFlagError{fmt.Sprintf(
			"invalid --shutdown_grace=%v: it must be 0s or more, for example --shutdown_grace=10s",
			cfg.shutdownGrace)}
	}
	if problem := backendAddressProblem(cfg.backend); problem != "" {
		return config{}, invalidFlagError{fmt.Sprintf(
			"invalid --backend=%q: %s; use host:port with a port from 1 to 65535, for example --backend=127.0.0.1:50051 or --backend=[::1]:50051",
			cfg.backend, problem)}
	}
	if cfg.maxResponseBytes < 1 {
		return config{}, invalidFlagError{fmt.Sprintf(
			"invalid --max_response_bytes=%d: it must be at least 1, for example --max_response_bytes=%d",
			cfg.maxResponseBytes, defaultMaxResponseBytes)}
	}
	if cfg.maxBodyBytes < 1 {
		return config{}, invalidFlagError{fmt.Sprintf(
			"invalid --max_body_bytes=%d: it must be at least 1, for example --max_body_bytes=%d",
			cfg.maxBodyBytes, defaultMaxBodyBytes)}
	}
	return cfg, nil
}

// backendAddressProblem returns why address is not host:port with a port
// from 1 to 65535, or "" if it is. grpc.Dial accepts nearly any string as
// a target and fails only when it connects, so the gateway would start
// and return 503 for every call.
func backendAddressProblem(address string) string {
	if strings.Contains(address, "://") || strings.HasPrefix(address, "unix:") {
		return "it is a URL or resolver target, not host:port"
	}
	if !strings.HasPrefix(address, "[") && strings.Count(address, ":") > 1 {
		return "an IPv6 host must be in brackets"
	}
	if !strings.Contains(address, ":") || strings.HasSuffix(address, "]") {
		return "the port is missing"
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return "it is not host:port"
	}
	if host == "" {
		return "the host is missing"
	}
	if port == "" {
		return "the port is missing"
	}
	number, err := strconv.Atoi(port)
	if err != nil || strings.HasPrefix(port, "+") || strings.HasPrefix(port, "-") {
		return fmt.Sprintf("port %q is not a number", port)
	}
	if number < 1 || number > 65535 {
		return fmt.Sprintf("port %d is out of range", number)
	}
	return ""
}

// newHandler returns the HTTP handler of the four services and of
// GET /openapi.json. Every request body is limited to maxBodyBytes.
func newHandler(conn *grpc.ClientConn, maxBodyBytes int64) http.Handler {
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
	mux.Handle("/", withUpdateMask(gateway))
	return withBodyLimit(maxBodyBytes, mux)
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
		writeRoutingError(w, r, "", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}
