// Command docsapi runs the Docs API server and its administration commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/http"
	"github.com/docsapi/docsapi/inmem"
	"github.com/docsapi/docsapi/postgres"
	"github.com/docsapi/docsapi/redis"
	"github.com/docsapi/docsapi/sqlite"
)

const usage = `Usage: docsapi <command> [flags]

Commands:
  serve            run the HTTP API server
  accounts create  create an account and print its root key's secret
  keys create      create an API key for an account and print its secret
  migrate          apply database migrations and exit

Environment:
  DOCSAPI_ADDR                   listen address (default 127.0.0.1:8080)
  DOCSAPI_DATABASE_URL           SQLite file path or sqlite: URL (default ./docsapi.db), or a postgres:// URL
  DOCSAPI_REDIS_URL              redis:// URL holding the rate-limit state that several instances share
  DOCSAPI_ROOT_KEY               secret of the first account's root key (default: generated, printed once)
  DOCSAPI_LOG_LEVEL              debug, info, warn or error (default info)
  DOCSAPI_REQUEST_LOG_RETENTION  how long request-log entries are kept (default 720h)
  DOCSAPI_AUTH_FAILURE_LIMIT     failed authentications per client IP per minute before 429 (default 60, 0 = off)

Run 'docsapi <command> -h' for a command's flags.
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		var e *docsapi.Error
		switch {
		case errors.Is(err, flag.ErrHelp):
		case errors.As(err, &e):
			fmt.Fprintln(os.Stderr, "docsapi:", e.Message)
		default:
			fmt.Fprintln(os.Stderr, "docsapi:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "serve":
		return serve(ctx, rest, stderr)
	case cmd == "migrate":
		return migrate(ctx, rest, stderr)
	case cmd == "accounts" && len(rest) > 0 && rest[0] == "create":
		return createAccount(ctx, rest[1:], stdout, stderr)
	case cmd == "keys" && len(rest) > 0 && rest[0] == "create":
		return createKey(ctx, rest[1:], stdout, stderr)
	case cmd == "-h" || cmd == "--help" || cmd == "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", strings.Join(args, " "))
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newLogger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(env("DOCSAPI_LOG_LEVEL", "info"))); err != nil {
		return nil, fmt.Errorf("DOCSAPI_LOG_LEVEL: %w", err)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})), nil
}

func newFlags(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: docsapi %s\n\n%s\n", name, help)
		fs.PrintDefaults()
	}
	return fs
}

// store is the set of services over one storage engine.
type store struct {
	accounts    docsapi.AccountService
	apiKeys     docsapi.APIKeyService
	resources   docsapi.ResourceService
	requestLogs docsapi.RequestLogService
	idempotency docsapi.IdempotencyService
	sessions    docsapi.SessionService
	ping        http.Pinger
	close       func() error
	name        string
}

// openStore opens and migrates the store named by DOCSAPI_DATABASE_URL:
// PostgreSQL for a postgres:// URL, else an SQLite file.
func openStore(ctx context.Context) (*store, error) {
	dsn := env("DOCSAPI_DATABASE_URL", "./docsapi.db")
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
		return &store{
			accounts: postgres.NewAccountService(db), apiKeys: postgres.NewAPIKeyService(db),
			resources: postgres.NewResourceService(db), requestLogs: postgres.NewRequestLogService(db),
			idempotency: postgres.NewIdempotencyService(db), sessions: postgres.NewSessionService(db), ping: db, close: db.Close, name: "postgres",
		}, nil
	}
	path, err := sqlite.ParsePath(dsn)
	if err != nil {
		return nil, fmt.Errorf("DOCSAPI_DATABASE_URL: %w", err)
	}
	db, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return &store{
		accounts: sqlite.NewAccountService(db), apiKeys: sqlite.NewAPIKeyService(db),
		resources: sqlite.NewResourceService(db), requestLogs: sqlite.NewRequestLogService(db),
		idempotency: sqlite.NewIdempotencyService(db), sessions: sqlite.NewSessionService(db), ping: db, close: db.Close, name: "sqlite:" + path,
	}, nil
}

// rateLimiters returns the per-key and per-IP limiters: shared through Redis
// when DOCSAPI_REDIS_URL is set, else in this process's memory.
func rateLimiters(ctx context.Context, logger *slog.Logger) (docsapi.RateLimiter, docsapi.RateLimiter, func() error, error) {
	url := os.Getenv("DOCSAPI_REDIS_URL")
	if url == "" {
		return inmem.NewRateLimiter(time.Second), inmem.NewRateLimiter(time.Minute), func() error { return nil }, nil
	}
	client, err := redis.Open(ctx, url)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("DOCSAPI_REDIS_URL: %w", err)
	}
	outage := func(err error) {
		logger.Error("redis rate limiter failed; limiting in this instance alone meanwhile", slog.String("error", err.Error()))
	}
	return inmem.NewFallbackRateLimiter(redis.NewRateLimiter(client, "docsapi:ratelimit:", time.Second), time.Second, outage),
		inmem.NewFallbackRateLimiter(redis.NewRateLimiter(client, "docsapi:authfail:", time.Minute), time.Minute, outage),
		client.Close, nil
}

func migrate(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("migrate", "Applies the database migrations that DOCSAPI_DATABASE_URL lacks.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	return st.close()
}

func createAccount(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("accounts create [--name NAME]", "Creates an account and prints only its root key's secret on standard output.", stderr)
	name := fs.String("name", "", "the account's name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.close()
	acct, _, secret, err := st.accounts.CreateAccount(ctx, *name, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created account %s\n", acct.ID)
	fmt.Fprintln(stdout, secret)
	return nil
}

func createKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys create --account ID --scopes a,b [--name NAME] [--rate-limit N]",
		"Creates an API key for an account and prints only its secret on standard output.\nScopes: "+strings.Join(docsapi.Scopes, ", "), stderr)
	account := fs.String("account", "", "the account's id (acct_...)")
	scopes := fs.String("scopes", "", "comma-separated scopes")
	name := fs.String("name", "cli", "the key's name")
	rateLimit := fs.Int("rate-limit", docsapi.DefaultRateLimit, "requests per second")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *account == "" {
		return errors.New("--account is required")
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.close()
	if _, err := st.accounts.FindAccountByID(ctx, *account); err != nil {
		return err
	}
	k := &docsapi.APIKey{ID: docsapi.NewID(docsapi.PrefixAPIKey), AccountID: *account, Name: *name,
		Scopes: strings.Split(*scopes, ","), RateLimit: *rateLimit, CreatedAt: docsapi.Now()}
	if *scopes == "" {
		k.Scopes = nil
	}
	if err := k.Validate(); err != nil {
		return err
	}
	secret := docsapi.NewSecret()
	k.SetSecret(secret)
	if err := st.apiKeys.CreateAPIKey(ctx, k); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created key %s\n", k.ID)
	fmt.Fprintln(stdout, secret)
	return nil
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("serve", "Runs the HTTP API server; configuration comes from the environment (see 'docsapi -h').", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger, err := newLogger(stderr)
	if err != nil {
		return err
	}
	retention, err := time.ParseDuration(env("DOCSAPI_REQUEST_LOG_RETENTION", docsapi.DefaultRequestLogRetention.String()))
	if err != nil || retention <= 0 {
		return fmt.Errorf("DOCSAPI_REQUEST_LOG_RETENTION: not a positive duration")
	}
	authLimit, err := strconv.Atoi(env("DOCSAPI_AUTH_FAILURE_LIMIT", "60"))
	if err != nil || authLimit < 0 {
		return fmt.Errorf("DOCSAPI_AUTH_FAILURE_LIMIT: not a whole number")
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.close()
	limiter, authFailures, closeLimiters, err := rateLimiters(ctx, logger)
	if err != nil {
		return err
	}
	defer closeLimiters()
	given := os.Getenv("DOCSAPI_ROOT_KEY")
	acct, _, secret, err := st.accounts.CreateFirstAccount(ctx, "Default", given)
	if err != nil {
		return fmt.Errorf("DOCSAPI_ROOT_KEY: %w", err)
	}
	if acct != nil {
		logger.Info("created the first account and its root key", slog.String("account_id", acct.ID))
		if given == "" {
			fmt.Fprintf(stderr, "Root API key (shown once, keep it safe): %s\n", secret)
		}
	}

	s := http.NewServer()
	s.Logger = logger
	s.Storage = st.ping
	s.APIKeyService = st.apiKeys
	s.ResourceService = st.resources
	s.RequestLogService = st.requestLogs
	s.IdempotencyService = st.idempotency
	s.SessionService = st.sessions
	s.PublicURL = os.Getenv("DOCSAPI_PUBLIC_URL")
	s.RateLimiter = limiter
	s.AuthFailures = authFailures
	s.AuthFailureLimit = authLimit
	if err := s.Open(env("DOCSAPI_ADDR", "127.0.0.1:8080")); err != nil {
		return err
	}
	logger.Info("listening", slog.String("addr", s.Addr()), slog.String("database", st.name))

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go docsapi.RunPurges(ctx, s.IdempotencyService, s.RequestLogService, retention, time.Hour, logger)
	<-ctx.Done()
	logger.Info("shutting down: draining in-flight requests")
	if err := s.Close(); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}
