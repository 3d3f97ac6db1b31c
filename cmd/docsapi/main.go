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
	"path"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/http"
	"github.com/docsapi/docsapi/inmem"
	"github.com/docsapi/docsapi/internal/gcpace"
	"github.com/docsapi/docsapi/internal/logbuf"
	"github.com/docsapi/docsapi/postgres"
	"github.com/docsapi/docsapi/redis"
	"github.com/docsapi/docsapi/sqlite"
)

const usage = `Usage: docsapi <command> [flags]

Commands:
  serve            run the HTTP API server
  accounts create  create an account and print its root key's secret
  accounts list    list the accounts (their ids are the keys commands' --account)
  keys create      create an API key for an account and print its secret
  keys list        list an account's API keys
  keys revoke      revoke one of an account's API keys
  migrate          apply database migrations and exit
  version          print the version (also --version)

Environment:
  DOCSAPI_ADDR                   listen address (default 127.0.0.1:8080)
  DOCSAPI_DATABASE_URL           SQLite file path or sqlite: URL (default ./docsapi.db), or a postgres:// URL
  DOCSAPI_REDIS_URL              redis:// URL holding the rate-limit state that several instances share
  DOCSAPI_ROOT_KEY               secret of the first account's root key (default: generated, printed once
                                 on standard output); on a store with accounts, one of its live * keys
  DOCSAPI_LOG_LEVEL              debug, info, warn or error (default info)
  DOCSAPI_ACCESS_LOG             errors: an access-log line for each failed request (status 400 and above) and
                                 each one the request log does not keep (default); all: a line for every request
  DOCSAPI_REQUEST_LOG_RETENTION  how long request-log entries are kept, a Go duration (default 720h)
  DOCSAPI_AUTH_FAILURE_LIMIT     failed authentications per client IP per minute before 429 (default 60, 0 = off)
  DOCSAPI_PUBLIC_URL             the URL users reach the server at, e.g. https://api.example.com (for doc_url links)
  DOCSAPI_PPROF_ADDR             loopback address, e.g. 127.0.0.1:6060, to serve net/http/pprof on (default: off)

Run 'docsapi <command> -h' for a command's flags.
`

const accountsUsage = `Usage: docsapi accounts <command> [flags]

Commands:
  create  create an account and print its root key's secret
  list    list the accounts, oldest first: id, name, created

Run 'docsapi accounts <command> -h' for a command's flags.
`

const keysUsage = `Usage: docsapi keys <command> [flags]

Commands:
  create  create an API key for an account and print its secret
  list    list an account's API keys, revoked ones included
  revoke  revoke one of an account's API keys

Run 'docsapi keys <command> -h' for a command's flags.
`

// Exit statuses: 0 on success and for -h, 2 for a usage error, 1 when the
// command itself failed.
func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	fmt.Fprintln(os.Stderr, "docsapi:", errorMessage(err))
	if u, ok := errors.AsType[*usageError](err); ok {
		fmt.Fprintln(os.Stderr, u.hint)
		os.Exit(2)
	}
	os.Exit(1)
}

// errorMessage is err for a person: an API error's sentence rather than its
// code=... form, after the context wrapped around it (e.g. the variable to
// blame).
func errorMessage(err error) string {
	e, ok := errors.AsType[*docsapi.Error](err)
	if !ok {
		return err.Error()
	}
	msg := err.Error()
	if prefix, ok := strings.CutSuffix(msg, e.Error()); ok {
		return prefix + e.Message
	}
	return e.Message
}

// usageError is a command line that cannot run: exit status 2.
type usageError struct {
	msg  string
	hint string // how to get help
}

func (e *usageError) Error() string { return e.msg }

func usageErrorf(cmd, format string, args ...any) error {
	hint := "Run 'docsapi -h' for usage."
	if cmd != "" {
		hint = "Run 'docsapi " + cmd + " -h' for usage."
	}
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageErrorf("", "no command given")
	}
	cmd, rest := args[0], args[1:]
	switch {
	case cmd == "serve":
		return serve(ctx, rest, stdout, stderr)
	case cmd == "migrate":
		return migrate(ctx, rest, stdout)
	case cmd == "version" || cmd == "--version" || cmd == "-version":
		return printVersion(rest, stdout)
	case cmd == "accounts":
		return subcommand("accounts", accountsUsage, rest, stdout, stderr, map[string]func([]string) error{
			"create": func(args []string) error { return createAccount(ctx, args, stdout, stderr) },
			"list":   func(args []string) error { return listAccounts(ctx, args, stdout) },
		})
	case cmd == "keys":
		return subcommand("keys", keysUsage, rest, stdout, stderr, map[string]func([]string) error{
			"create": func(args []string) error { return createKey(ctx, args, stdout, stderr) },
			"list":   func(args []string) error { return listKeys(ctx, args, stdout) },
			"revoke": func(args []string) error { return revokeKey(ctx, args, stdout) },
		})
	case isHelp(cmd):
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageErrorf("", "unknown command %q", cmd)
	}
}

// subcommand runs the command of a group (accounts, keys) that args name.
func subcommand(group, help string, args []string, stdout, stderr io.Writer, cmds map[string]func([]string) error) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, help)
		return usageErrorf(group, "%s: no command given", group)
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, help)
		return nil
	}
	f, ok := cmds[args[0]]
	if !ok {
		fmt.Fprint(stderr, help)
		return usageErrorf(group, "unknown command %q", group+" "+args[0])
	}
	return f(args[1:])
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// logFlushInterval is how long a log line may wait in memory: the access
// log's lines are written out in bulk (see logbuf), warnings and errors at
// once.
const logFlushInterval = 100 * time.Millisecond

// gcHeadroom is how much the heap may grow between garbage collections
// at least (see gcpace); GOGC, when set, decides instead.
const gcHeadroom = 16 << 20

func newLogger(w *logbuf.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(env("DOCSAPI_LOG_LEVEL", "info"))); err != nil {
		return nil, fmt.Errorf("DOCSAPI_LOG_LEVEL: %w", err)
	}
	return slog.New(logbuf.Handler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}), w)), nil
}

// newFlags returns the flag set of the command named by the first words of
// synopsis. It prints nothing itself: parseFlags prints the usage for -h
// and returns errors for main to print.
func newFlags(synopsis, help string) *flag.FlagSet {
	name := synopsis
	for _, sep := range []string{" -", " [", " <"} {
		name, _, _ = strings.Cut(name, sep)
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: docsapi %s\n\n%s\n", synopsis, help)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, flags and positional arguments in any order, and
// returns the positional ones, which must be as many as names.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer, names ...string) ([]string, error) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, flag.ErrHelp
		}
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageErrorf(fs.Name(), "%s: %v", fs.Name(), err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) > len(names) {
		return nil, usageErrorf(fs.Name(), "%s: unexpected argument %q", fs.Name(), positional[len(names)])
	}
	if len(positional) < len(names) {
		return nil, usageErrorf(fs.Name(), "%s: missing argument %s", fs.Name(), names[len(positional)])
	}
	return positional, nil
}

// store is the set of services over one storage engine.
type store struct {
	docsapi.Services
	ping     http.Pinger
	close    func() error
	name     string
	migrated []string // the migrations that opening it applied
}

// database is what openStore needs of either engine's DB.
type database interface {
	Migrate(ctx context.Context) ([]string, error)
	Ping(ctx context.Context) error
	Close() error
}

// databaseSchemes are the URL schemes DOCSAPI_DATABASE_URL may have; a
// value without "://" is an SQLite file path.
var databaseSchemes = []string{"sqlite", "postgres", "postgresql"}

// checkDatabaseURL refuses a URL of an engine that is not supported, before
// SQLite would take it for a file name. It never repeats the URL, which may
// hold a password.
func checkDatabaseURL(dsn string) error {
	scheme, _, ok := strings.Cut(dsn, "://")
	if !ok || slices.Contains(databaseSchemes, strings.ToLower(scheme)) {
		return nil
	}
	return fmt.Errorf("DOCSAPI_DATABASE_URL: unsupported scheme %q; use a file path or sqlite: URL (e.g. ./docsapi.db or sqlite:///var/lib/docsapi.db) for SQLite, or a postgres:// or postgresql:// URL", scheme)
}

// openStore opens and migrates the store named by DOCSAPI_DATABASE_URL:
// PostgreSQL for a postgres:// URL, else an SQLite file.
func openStore(ctx context.Context) (*store, error) {
	dsn := env("DOCSAPI_DATABASE_URL", "./docsapi.db")
	if err := checkDatabaseURL(dsn); err != nil {
		return nil, err
	}
	var (
		db   database
		svc  docsapi.Services
		name string
	)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		pg, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		db, svc, name = pg, postgres.NewServices(pg), "postgres"
	} else {
		path, err := sqlite.ParsePath(dsn)
		if err != nil {
			return nil, fmt.Errorf("DOCSAPI_DATABASE_URL: %w", err)
		}
		lite, err := sqlite.Open(path)
		if err != nil {
			return nil, fmt.Errorf("DOCSAPI_DATABASE_URL: %w; its directory must exist and this user must be able to write there (SQLite adds -wal and -shm files beside it)", err)
		}
		db, svc, name = lite, sqlite.NewServices(lite), "sqlite:"+path
	}
	migrated, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &store{Services: svc, ping: db, close: db.Close, name: name, migrated: migrated}, nil
}

// limiters are the per-key and per-IP rate limiters, and, with Redis, what
// reports whether the state they share answers.
type limiters struct {
	perKey, authFailures docsapi.RateLimiter
	shared               *redis.Pinger // nil without Redis
	close                func() error
}

// rateLimiters returns the per-key and per-IP limiters: shared through Redis
// when DOCSAPI_REDIS_URL is set, else in this process's memory.
func rateLimiters(ctx context.Context, logger *slog.Logger) (*limiters, error) {
	url := os.Getenv("DOCSAPI_REDIS_URL")
	if url == "" {
		return &limiters{perKey: inmem.NewRateLimiter(time.Second), authFailures: inmem.NewRateLimiter(time.Minute),
			close: func() error { return nil }}, nil
	}
	redis.SetLogger(logger)
	client, err := redis.NewClient(url)
	if err != nil {
		return nil, fmt.Errorf("DOCSAPI_REDIS_URL: %w", err)
	}
	outage := func(err error) {
		logger.Error("redis rate limiter failed; limiting in this instance alone meanwhile", slog.String("error", err.Error()))
	}
	// A Redis that does not answer does not stop the start: this instance
	// limits alone until it does, as running ones do in an outage.
	pingCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := redis.NewPinger(client).Ping(pingCtx); err != nil && ctx.Err() == nil {
		logger.Error("redis does not answer at start; limiting in this instance alone until it does",
			slog.String("addr", client.Options().Addr), slog.String("error", err.Error()))
	}
	return &limiters{
		perKey:       inmem.NewFallbackRateLimiter(redis.NewRateLimiter(client, "docsapi:ratelimit:", time.Second), time.Second, outage),
		authFailures: inmem.NewFallbackRateLimiter(redis.NewRateLimiter(client, "docsapi:authfail:", time.Minute), time.Minute, outage),
		shared:       redis.NewPinger(client),
		close:        client.Close,
	}, nil
}

// parseAndOpen parses the flags of a command that takes no argument, then
// opens the store.
func parseAndOpen(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) (*store, error) {
	if _, err := parseFlags(fs, args, stdout); err != nil {
		return nil, err
	}
	return openStore(ctx)
}

func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("migrate", "Applies the database migrations that DOCSAPI_DATABASE_URL lacks, and lists them.")
	st, err := parseAndOpen(ctx, fs, args, stdout)
	if err != nil {
		return err
	}
	defer st.close()
	if len(st.migrated) == 0 {
		fmt.Fprintf(stdout, "%s: up to date, no migration to apply\n", st.name)
		return nil
	}
	for _, m := range st.migrated {
		fmt.Fprintf(stdout, "%s: applied %s\n", st.name, path.Base(m))
	}
	fmt.Fprintf(stdout, "%s: %d migration(s) applied\n", st.name, len(st.migrated))
	return nil
}

func createAccount(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("accounts create [--name NAME]", "Creates an account and prints only its root key's secret on standard output.")
	name := fs.String("name", "", "the account's name")
	st, err := parseAndOpen(ctx, fs, args, stdout)
	if err != nil {
		return err
	}
	defer st.close()
	acct, _, secret, err := st.Accounts.CreateAccount(ctx, *name, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created account %s\n", acct.ID)
	fmt.Fprintln(stdout, secret)
	return nil
}

func listAccounts(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("accounts list", "Lists the accounts, oldest first (the first is the one serve created).")
	st, err := parseAndOpen(ctx, fs, args, stdout)
	if err != nil {
		return err
	}
	defer st.close()
	all, err := st.Accounts.ListAccounts(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED_AT")
	for _, a := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.Name, timestamp(&a.CreatedAt))
	}
	return tw.Flush()
}

// accountFlag adds --account to a keys command.
func accountFlag(fs *flag.FlagSet) *string {
	return fs.String("account", "", "the account's id (acct_...), as 'docsapi accounts list' shows it")
}

// openAccount checks --account, then opens the store and finds the account.
func openAccount(ctx context.Context, fs *flag.FlagSet, account string) (*store, error) {
	if account == "" {
		return nil, usageErrorf(fs.Name(), "%s: --account is required", fs.Name())
	}
	st, err := openStore(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := st.Accounts.FindAccountByID(ctx, account); err != nil {
		st.close()
		return nil, err
	}
	return st, nil
}

func createKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys create --account ID --scopes a,b [--name NAME] [--rate-limit N]",
		"Creates an API key for an account and prints only its secret on standard output.\nScopes: "+strings.Join(docsapi.Scopes, ", "))
	account := accountFlag(fs)
	scopes := fs.String("scopes", "", "comma-separated scopes")
	name := fs.String("name", "cli", "the key's name")
	rateLimit := fs.Int("rate-limit", docsapi.DefaultRateLimit, "requests per second")
	if _, err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *scopes == "" {
		return usageErrorf(fs.Name(), "%s: --scopes is required (%s)", fs.Name(), strings.Join(docsapi.Scopes, ", "))
	}
	st, err := openAccount(ctx, fs, *account)
	if err != nil {
		return err
	}
	defer st.close()
	k := &docsapi.APIKey{Name: *name, Scopes: strings.Split(*scopes, ","), RateLimit: *rateLimit}
	if err := k.Normalize(); err != nil {
		return err
	}
	secret := k.Issue(*account)
	if err := st.APIKeys.CreateAPIKey(ctx, k); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created key %s\n", k.ID)
	fmt.Fprintln(stdout, secret)
	return nil
}

func listKeys(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("keys list --account ID", "Lists an account's API keys, newest first, revoked ones included; never their secrets.")
	account := accountFlag(fs)
	if _, err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	st, err := openAccount(ctx, fs, *account)
	if err != nil {
		return err
	}
	defer st.close()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPES\tRATE_LIMIT\tCREATED_AT\tLAST_USED_AT\tREVOKED_AT")
	p := docsapi.ListParams{Limit: docsapi.MaxListLimit}
	for {
		keys, more, err := st.APIKeys.FindAPIKeys(ctx, *account, p)
		if err != nil {
			return err
		}
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, strings.Join(k.Scopes, ","),
				k.RateLimit, timestamp(&k.CreatedAt), timestamp(k.LastUsedAt), timestamp(k.RevokedAt))
		}
		if !more || len(keys) == 0 {
			break
		}
		p.StartingAfter = keys[len(keys)-1].ID
	}
	return tw.Flush()
}

// timestamp formats t as the API does, or "-" for none.
func timestamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func revokeKey(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("keys revoke --account ID <key_id>",
		"Revokes one of an account's API keys; every instance refuses it within a second.")
	account := accountFlag(fs)
	pos, err := parseFlags(fs, args, stdout, "<key_id>")
	if err != nil {
		return err
	}
	id := pos[0]
	st, err := openAccount(ctx, fs, *account)
	if err != nil {
		return err
	}
	defer st.close()
	k, err := st.APIKeys.FindAPIKeyByID(ctx, *account, id)
	if err != nil {
		return err
	}
	if k.RevokedAt != nil {
		fmt.Fprintf(stdout, "key %s was already revoked at %s\n", k.ID, timestamp(k.RevokedAt))
		return nil
	}
	if k, err = st.APIKeys.RevokeAPIKey(ctx, *account, id); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked key %s (%s, %s...) at %s\n", k.ID, k.Name, k.Prefix, timestamp(k.RevokedAt))
	return nil
}

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise buildVersion reads what the go command recorded.
var version string

// buildVersion returns the version of this build: the -ldflags one, else
// the module version the go command stamped (a tag, or a pseudo-version
// from the VCS commit), else the commit, else "(devel)".
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	if info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		return "(devel)"
	}
	if settings["vcs.modified"] == "true" {
		rev += "-dirty"
	}
	return "(devel) " + rev
}

func printVersion(args []string, stdout io.Writer) error {
	fs := newFlags("version", "Prints the version of this build and the Go version it was built with.")
	if _, err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "docsapi %s %s %s/%s\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// config is serve's configuration from the environment, checked whole
// before anything is opened, so that a mistake leaves nothing behind.
type config struct {
	addr      string
	rootKey   string
	retention time.Duration
	authLimit int
	logAll    bool
	publicURL string
	pprofAddr string
	logger    *slog.Logger
}

func loadConfig(logs *logbuf.Writer) (*config, error) {
	logger, err := newLogger(logs)
	if err != nil {
		return nil, err
	}
	c := &config{addr: env("DOCSAPI_ADDR", "127.0.0.1:8080"), rootKey: os.Getenv("DOCSAPI_ROOT_KEY"), logger: logger}
	if err := checkDatabaseURL(env("DOCSAPI_DATABASE_URL", "./docsapi.db")); err != nil {
		return nil, err
	}
	if c.rootKey != "" && !docsapi.ValidSecret(c.rootKey) {
		return nil, fmt.Errorf("DOCSAPI_ROOT_KEY: malformed: a key secret is %q followed by 32 base62 characters (A-Z, a-z, 0-9); unset it to have one generated", docsapi.SecretPrefix)
	}
	raw := env("DOCSAPI_REQUEST_LOG_RETENTION", docsapi.DefaultRequestLogRetention.String())
	if c.retention, err = time.ParseDuration(raw); err != nil || c.retention <= 0 {
		return nil, fmt.Errorf("DOCSAPI_REQUEST_LOG_RETENTION: %q is not a positive Go duration; use h, m or s units, e.g. 720h for 30 days", raw)
	}
	raw = env("DOCSAPI_AUTH_FAILURE_LIMIT", strconv.Itoa(http.DefaultAuthFailureLimit))
	if c.authLimit, err = strconv.Atoi(raw); err != nil || c.authLimit < 0 {
		return nil, fmt.Errorf("DOCSAPI_AUTH_FAILURE_LIMIT: %q must be a whole number ≥ 0, e.g. 60 (0 turns the limit off)", raw)
	}
	switch raw = env("DOCSAPI_ACCESS_LOG", "errors"); raw {
	case "errors":
	case "all":
		c.logAll = true
	default:
		return nil, fmt.Errorf("DOCSAPI_ACCESS_LOG: %q must be errors (a line for each failed request and each one the request log does not keep) or all", raw)
	}
	if url := os.Getenv("DOCSAPI_REDIS_URL"); url != "" {
		if err := redis.CheckURL(url); err != nil {
			return nil, fmt.Errorf("DOCSAPI_REDIS_URL: %w; the form is redis://[:password@]host:port/db or rediss://…", err)
		}
	}
	if c.publicURL, err = publicURL(); err != nil {
		return nil, err
	}
	if c.pprofAddr, err = pprofAddr(); err != nil {
		return nil, err
	}
	return c, nil
}

// firstAccount creates the first account on an empty store and prints its
// root key's secret on standard output, never into the log, unless
// DOCSAPI_ROOT_KEY gave it. On a store that has accounts, DOCSAPI_ROOT_KEY,
// when set, must be the secret of one of its live keys of scope *: a
// server that starts with a key it will then refuse helps no one.
func firstAccount(ctx context.Context, st *store, rootKey string, stdout io.Writer, logger *slog.Logger) error {
	acct, _, secret, err := st.Accounts.CreateFirstAccount(ctx, "Default", rootKey)
	if err != nil {
		return fmt.Errorf("create the first account: %w", err)
	}
	if acct != nil {
		if rootKey != "" {
			logger.Info("created the first account and its root key", slog.String("account_id", acct.ID), slog.String("root_key", "DOCSAPI_ROOT_KEY"))
			return nil
		}
		logger.Info("created the first account and its root key", slog.String("account_id", acct.ID), slog.String("root_key", "printed on standard output"))
		fmt.Fprintf(stdout, "Root API key (shown once, keep it safe): %s\n", secret)
		return nil
	}
	if rootKey == "" {
		return nil
	}
	k, err := st.APIKeys.FindAPIKeyByHash(ctx, docsapi.HashSecret(rootKey))
	switch {
	case docsapi.ErrorCode(err) == docsapi.ENOTFOUND:
		return errors.New("DOCSAPI_ROOT_KEY: this store already has accounts, and none of their keys has this secret; " +
			"unset DOCSAPI_ROOT_KEY (it only names the first account's key on an empty store) or set it to a live root key's secret")
	case err != nil:
		return err
	case k.RevokedAt != nil:
		return fmt.Errorf("DOCSAPI_ROOT_KEY: it is the secret of key %s, revoked at %s; unset it or set it to a live root key's secret",
			k.ID, timestamp(k.RevokedAt))
	case !slices.Contains(k.Scopes, docsapi.ScopeAll):
		return fmt.Errorf("DOCSAPI_ROOT_KEY: it is the secret of key %s, whose scopes (%s) are not *; unset it or set it to a root key's secret",
			k.ID, strings.Join(k.Scopes, ","))
	}
	logger.Info("DOCSAPI_ROOT_KEY is a live root key of this store", slog.String("account_id", k.AccountID), slog.String("api_key_id", k.ID))
	return nil
}

// startupError is err, or, when a signal cut the start short, says so
// instead of quoting the interrupted call.
func startupError(stopped context.Context, err error) error {
	if stopped.Err() != nil {
		return errors.New("stopped by a signal before the server was ready")
	}
	return err
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "Runs the HTTP API server; configuration comes from the environment (see 'docsapi -h').")
	if _, err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	logs := logbuf.NewWriter(stderr, logFlushInterval)
	defer logs.Close()
	cfg, err := loadConfig(logs)
	if err != nil {
		return err
	}
	logger := cfg.logger
	// Signals are caught from here on: one that comes while the store
	// opens ends the start, and one that comes later (the root key already
	// printed) drains instead of killing the server.
	stopped, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// Bind first: a port in use must fail before the database file is
	// made or migrated, and before a root key is made and shown.
	s := http.NewServer()
	if err := s.Listen(cfg.addr); err != nil {
		return fmt.Errorf("DOCSAPI_ADDR: %w", err)
	}
	if cfg.pprofAddr != "" {
		prof, err := startPprof(cfg.pprofAddr, logger)
		if err != nil {
			s.Close()
			return err
		}
		defer prof.Close()
	}
	// Opening waits on the network for PostgreSQL and Redis: a signal
	// meanwhile ends the wait rather than going unheard.
	st, err := openStore(stopped)
	if err != nil {
		s.Close()
		return startupError(stopped, err)
	}
	defer st.close()
	lim, err := rateLimiters(stopped, logger)
	if err != nil {
		s.Close()
		return startupError(stopped, err)
	}
	defer lim.close()

	s.Logger = logger
	s.Version = buildVersion()
	s.Storage = st.ping
	s.APIKeyService = st.APIKeys
	s.ResourceService = st.Resources
	s.RequestLogService = st.RequestLogs
	s.IdempotencyService = st.Idempotency
	s.SessionService = st.Sessions
	s.RateLimiter = lim.perKey
	s.AuthFailures = lim.authFailures
	s.AuthFailureLimit = cfg.authLimit
	s.LogAllRequests = cfg.logAll
	s.PublicURL = cfg.publicURL
	if lim.shared != nil {
		s.SharedRateLimit = lim.shared
		s.Registry.MustRegister(redis.NewUpGauge(lim.shared))
	}
	// Not cut short by a signal: its commit's outcome would then be unknown,
	// and a root key made but never printed.
	if err := firstAccount(ctx, st, cfg.rootKey, stdout, logger); err != nil {
		s.Close()
		return err
	}
	if err := s.Open(cfg.addr); err != nil {
		s.Close()
		return err
	}
	logger.Info("listening", slog.String("addr", s.Addr()), slog.String("database", st.name), slog.String("version", s.Version))
	logs.Flush() // the startup lines, before the first request's

	go docsapi.RunPurges(stopped, st.Services, cfg.retention, time.Hour, logger)
	if os.Getenv("GOGC") == "" {
		go gcpace.Run(stopped, gcHeadroom, time.Second)
	}
	<-stopped.Done()
	// A second signal kills the process without waiting for the drain.
	stop()
	logger.Info("shutting down: draining in-flight requests; a second signal stops at once")
	if err := s.Close(); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}
