package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/http/pprof"
	"os"
)

// pprofAddr returns DOCSAPI_PPROF_ADDR, or "" when unset. It must be a
// loopback address: profiles show the server's code and memory, so they are
// for someone on the machine, never for the API's clients.
func pprofAddr() (string, error) {
	v := os.Getenv("DOCSAPI_PPROF_ADDR")
	if v == "" {
		return "", nil
	}
	host, _, err := net.SplitHostPort(v)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return "", fmt.Errorf("DOCSAPI_PPROF_ADDR: %q is not a loopback host:port such as 127.0.0.1:6060", v)
	}
	return v, nil
}

// startPprof serves net/http/pprof on its own listener at addr, so that the
// API's listener never routes /debug/pprof/. serve calls it next to binding
// DOCSAPI_ADDR, so that a port in use fails before the first account is made.
func startPprof(addr string, logger *slog.Logger) (*nethttp.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("DOCSAPI_PPROF_ADDR: %w", err)
	}
	// A mux of its own: importing net/http/pprof also registers these on
	// http.DefaultServeMux, which nothing in the server serves.
	mux := nethttp.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &nethttp.Server{Handler: mux, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	logger.Info("pprof listening", slog.String("addr", ln.Addr().String()))
	// Close, not Shutdown, stops it: a profile in progress is worth less
	// than a prompt exit. Serve closes ln even if Close came first.
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, nethttp.ErrServerClosed) {
			logger.Error("pprof server failed", slog.String("error", err.Error()))
		}
	}()
	return srv, nil
}
