package main_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docsapi/docsapi/internal/testenv"
)

// TestSoak runs mixed load (creates with and without Idempotency-Key,
// updates, deletes, reads, lists) against the real binary while it is
// killed with kill -9 DOCSAPI_SOAK_KILLS times (default 3) and stopped
// with SIGTERM DOCSAPI_SOAK_TERMS times (default 1), restarting it each
// time, on SQLite and on PostgreSQL + Redis. Then it checks that every
// acknowledged write exists, that every idempotent write replays byte for
// byte, that no object exists twice, and that every answered request is in
// the request log. `make soak` runs 20 and 5.
func TestSoak(t *testing.T) {
	kills, terms := soakEnv(t, "DOCSAPI_SOAK_KILLS", 3), soakEnv(t, "DOCSAPI_SOAK_TERMS", 1)
	t.Run("sqlite", func(t *testing.T) {
		soak(t, filepath.Join(t.TempDir(), "docsapi.db"), nil, kills, terms)
	})
	t.Run("postgres+redis", func(t *testing.T) {
		pg, rd := testenv.PostgresURL(t), testenv.RedisURL(t)
		soak(t, pg, []string{"DOCSAPI_REDIS_URL=" + rd}, kills, terms)
	})
}

func soakEnv(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: not a whole number", name, v)
	}
	return n
}

// soakWrite is one write request, sent again as is when its answer is lost.
type soakWrite struct {
	method, path, body, idemKey string
	obj                         *soakObj
	newName                     string // what the write sets the name to
}

// soakObj is a resource as its acknowledged writes left it.
type soakObj struct {
	id, name string
	maybe    []string // names set by writes whose answer was lost
	deleted  bool
	busy     bool // a write to it awaits its retry
}

// soakAck is an acknowledged idempotent write, to replay at the end.
type soakAck struct {
	w      soakWrite
	status int
	body   []byte
}

type soakRun struct {
	t   *testing.T
	key string
	url string // of the running server

	mu        sync.Mutex
	objs      []*soakObj
	acks      []soakAck
	lost      []soakWrite       // idempotent writes whose answer was lost
	answered  map[string]string // request id → how its server stopped
	statuses  map[int]int
	failures  []string
	written   int
	maybeMade int // creates without a key whose answer was lost
}

func (s *soakRun) fail(format string, args ...any) {
	s.mu.Lock()
	s.failures = append(s.failures, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// send sends w, or reports that its answer was lost.
func (s *soakRun) send(w soakWrite, url, stop string) (*result, bool) {
	var h []string
	if w.idemKey != "" {
		h = []string{"Idempotency-Key", w.idemKey}
	}
	r, err := call(s.t, w.method, url+w.path, s.key, w.body, h...)
	if err != nil {
		return nil, false
	}
	s.mu.Lock()
	s.answered[r.header.Get("Request-Id")] = stop
	s.statuses[r.status]++
	s.mu.Unlock()
	return r, true
}

// acknowledged records the effect of a write that was answered.
func (s *soakRun) acknowledged(w soakWrite, r *result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := map[string]int{"POST": 201, "PATCH": 200, "DELETE": 200}[w.method]
	if r.status != want {
		s.failures = append(s.failures, fmt.Sprintf("%s %s: %d %s", w.method, w.path, r.status, r.body))
		return
	}
	s.written++
	if w.idemKey != "" {
		s.acks = append(s.acks, soakAck{w: w, status: r.status, body: r.body})
	}
	switch w.method {
	case "POST":
		var created struct{ ID string }
		json.Unmarshal(r.body, &created)
		s.objs = append(s.objs, &soakObj{id: created.ID, name: w.newName})
	case "PATCH":
		w.obj.name, w.obj.maybe = w.newName, nil
	case "DELETE":
		w.obj.deleted = true
	}
	if w.obj != nil {
		w.obj.busy = false
	}
}

// worker runs mixed load until the server goes away.
func (s *soakRun) worker(id int, phase int, url, stop string, rng *rand.Rand) {
	for n := 0; ; n++ {
		tag := fmt.Sprintf("p%d-w%d-%d", phase, id, n)
		w := soakWrite{method: "POST", path: "/v1/resources"}
		var obj *soakObj
		s.mu.Lock()
		var live []*soakObj
		for _, o := range s.objs {
			if !o.deleted && !o.busy && strings.Contains(o.name, fmt.Sprintf("-w%d-", id)) {
				live = append(live, o)
			}
		}
		if len(live) > 0 {
			obj = live[rng.IntN(len(live))]
		}
		s.mu.Unlock()
		switch op := rng.IntN(100); {
		case op < 30 || obj == nil && op < 70:
			w.newName, w.idemKey = "soak "+tag, "create-"+tag
		case op < 45 || obj == nil:
			w.newName = "soak " + tag
		case op < 65:
			w.method, w.path, w.obj, w.newName = "PATCH", "/v1/resources/"+obj.id, obj, obj.name+"+"+tag
			if rng.IntN(2) == 0 {
				w.idemKey = "patch-" + tag
			}
		case op < 75:
			w.method, w.path, w.obj, w.idemKey = "DELETE", "/v1/resources/"+obj.id, obj, "delete-"+tag
		case op < 90:
			r, ok := s.send(soakWrite{method: "GET", path: "/v1/resources/" + obj.id}, url, stop)
			if !ok {
				return
			}
			if r.status != 200 {
				s.fail("acknowledged resource %s: GET %d %s", obj.id, r.status, r.body)
			}
			continue
		default:
			r, ok := s.send(soakWrite{method: "GET", path: "/v1/resources?limit=10"}, url, stop)
			if !ok {
				return
			}
			if r.status != 200 {
				s.fail("list: %d %s", r.status, r.body)
			}
			continue
		}
		if w.method == "POST" {
			w.body = fmt.Sprintf(`{"name":%q,"metadata":{"worker":"%d"}}`, w.newName, id)
		} else if w.method == "PATCH" {
			w.body = fmt.Sprintf(`{"name":%q}`, w.newName)
		}
		if w.obj != nil {
			s.mu.Lock()
			w.obj.busy = true
			s.mu.Unlock()
		}
		r, ok := s.send(w, url, stop)
		if ok {
			s.acknowledged(w, r)
			continue
		}
		// The answer was lost: an idempotent write is retried at the end;
		// another may or may not have happened.
		s.mu.Lock()
		switch {
		case w.idemKey != "":
			s.lost = append(s.lost, w)
		case w.method == "POST":
			s.maybeMade++
		default:
			w.obj.maybe = append(w.obj.maybe, w.newName)
			w.obj.busy = false
		}
		s.mu.Unlock()
		return
	}
}

func soak(t *testing.T, db string, extra []string, kills, terms int) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	s := &soakRun{t: t, key: fastKey(t, db), answered: map[string]string{}, statuses: map[int]int{}}
	// SIGTERMs spread among the kills, the last stop a SIGTERM when any.
	stops := make([]string, 0, kills+terms)
	for i := 0; i < kills+terms; i++ {
		if terms > 0 && (i+1)*terms/(kills+terms) > i*terms/(kills+terms) {
			stops = append(stops, "SIGTERM")
		} else {
			stops = append(stops, "kill -9")
		}
	}
	start := time.Now()
	for phase, stop := range stops {
		srv := serve(t, db, extra...)
		var wg sync.WaitGroup
		for w := 0; w < 6; w++ {
			wg.Add(1)
			wrng := rand.New(rand.NewPCG(rng.Uint64(), uint64(w)))
			go func() {
				defer wg.Done()
				s.worker(w, phase, srv.url, stop, wrng)
			}()
		}
		time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		if stop == "SIGTERM" {
			srv.cmd.Process.Signal(syscall.SIGTERM)
			if err := srv.wait(); err != nil || !strings.Contains(srv.stderr.String(), `"msg":"stopped"`) {
				t.Fatalf("phase %d: exit after SIGTERM: %v\n%s", phase, err, srv.stderr.String())
			}
		} else {
			srv.cmd.Process.Signal(syscall.SIGKILL)
			srv.wait()
		}
		wg.Wait()
	}
	loadTime := time.Since(start)

	srv := serve(t, db, extra...)
	s.url = srv.url
	retried, replayedRetries := s.retryLost()
	replays := s.checkReplays()
	live, dupes := s.checkObjects()
	inLog, missTerm, missKill := s.checkRequestLog()
	for st := range s.statuses {
		if st >= 500 {
			s.fail("%d responses with status %d", s.statuses[st], st)
		}
	}
	for _, f := range s.failures {
		t.Error(f)
	}
	lostWrites := 0
	for _, f := range s.failures {
		if strings.HasPrefix(f, "acknowledged") {
			lostWrites++
		}
	}
	t.Logf("soak %s: %d kill -9 and %d SIGTERM survived in %v; %d writes acknowledged (%d lost), "+
		"%d idempotent writes whose answer was lost retried (%d replayed, the rest ran once), %d idempotent writes replayed byte for byte, "+
		"%d resources live, %d duplicates, %d unacknowledged creates without a key; "+
		"request log: %d answered requests found, %d missing after SIGTERM, %d missing after kill -9 (queued, not yet written); statuses %v",
		t.Name(), kills, terms, loadTime.Round(time.Millisecond), s.written, lostWrites, retried, replayedRetries, replays,
		live, dupes, s.maybeMade, inLog, missTerm, missKill, s.statuses)
}

// retryLost sends again, on the last server, every idempotent write whose
// answer was lost, all at once: a claim left by a killed process is waited
// out (up to its 10 s lease) and then taken over.
func (s *soakRun) retryLost() (retried, replayed int) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, w := range s.lost {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 0; ; attempt++ {
				r, ok := s.send(w, s.url, "final")
				if !ok {
					s.fail("retry %s %s: the server is gone", w.method, w.path)
					return
				}
				if r.status == 409 && attempt < 3 {
					continue // the dead holder's lease had not run out yet
				}
				mu.Lock()
				retried++
				if r.header.Get("Idempotent-Replayed") == "true" {
					replayed++
				}
				mu.Unlock()
				s.acknowledged(w, r)
				return
			}
		}()
	}
	wg.Wait()
	return retried, replayed
}

// checkReplays replays every acknowledged idempotent write.
func (s *soakRun) checkReplays() int {
	var wg sync.WaitGroup
	work := make(chan soakAck)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				r, ok := s.send(a.w, s.url, "final")
				if !ok || r.status != a.status || string(r.body) != string(a.body) || r.header.Get("Idempotent-Replayed") != "true" {
					s.fail("acknowledged %s %s (%s) does not replay: %v", a.w.method, a.w.path, a.w.idemKey, r)
				}
			}
		}()
	}
	for _, a := range s.acks {
		work <- a
	}
	close(work)
	wg.Wait()
	return len(s.acks)
}

// checkObjects lists every resource: each acknowledged live one is there
// once with an acknowledged (or possibly applied) name, deleted ones are
// gone, and no name (one per create) appears twice.
func (s *soakRun) checkObjects() (live, dupes int) {
	byName, byID := map[string]int{}, map[string]string{}
	after := ""
	for {
		r := mustCall(s.t, "GET", s.url+"/v1/resources?limit=100"+after, s.key, "")
		var page struct {
			Data []struct {
				ID, Name string
				Metadata map[string]string
			} `json:"data"`
			HasMore bool `json:"has_more"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil || r.status != 200 {
			s.t.Fatalf("list: %d %s", r.status, r.body)
		}
		for _, d := range page.Data {
			created, _, _ := strings.Cut(d.Name, "+") // updates append to the name
			if byName[created]++; byName[created] == 2 {
				dupes++
				s.fail("duplicate resource %q", created)
			}
			byID[d.ID] = d.Name
		}
		if !page.HasMore {
			break
		}
		after = "&starting_after=" + page.Data[len(page.Data)-1].ID
	}
	for _, o := range s.objs {
		name, ok := byID[o.id]
		switch {
		case o.deleted && ok:
			s.fail("acknowledged delete of %s undone: it still exists", o.id)
		case o.deleted:
		case !ok:
			s.fail("acknowledged resource %s (%q) is gone", o.id, o.name)
		case name != o.name && !slices.Contains(o.maybe, name):
			s.fail("acknowledged resource %s is named %q, want %q (or one of %q)", o.id, name, o.name, o.maybe)
		default:
			live++
		}
	}
	return live, dupes
}

// checkRequestLog looks every answered request up in the request log.
// Those of a server stopped by SIGTERM (or of the last one) must all be
// there; kill -9 loses what was queued but not yet written.
func (s *soakRun) checkRequestLog() (found, missTerm, missKill int) {
	logged := map[string]bool{}
	after := ""
	for {
		r := mustCall(s.t, "GET", s.url+"/v1/requests?limit=100"+after, s.key, "")
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			HasMore bool `json:"has_more"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil || r.status != 200 {
			s.t.Fatalf("list requests: %d %s", r.status, r.body)
		}
		for _, d := range page.Data {
			logged[d.ID] = true
		}
		if !page.HasMore {
			break
		}
		after = "&starting_after=" + page.Data[len(page.Data)-1].ID
	}
	for id, stop := range s.answered {
		switch {
		case logged[id]:
			found++
		case stop == "kill -9":
			missKill++
		default:
			missTerm++
			s.fail("request %s, answered before %s, is not in the request log", id, stop)
		}
	}
	return found, missTerm, missKill
}
