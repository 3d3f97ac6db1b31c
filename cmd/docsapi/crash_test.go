package main_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ack is a write that the server acknowledged.
type ack struct {
	idemKey, body string
	status        int
	resp          []byte
}

// writers runs n clients that create resources with idempotency keys until
// stop is closed or the server goes away, and returns what was acknowledged
// and every response status seen.
func writers(t *testing.T, url, key string, n int, stop <-chan struct{}) ([]ack, map[int]int, []string) {
	var mu sync.Mutex
	var acks []ack
	var requestIDs []string
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				idemKey := fmt.Sprintf("w%d-%d", w, i)
				body := fmt.Sprintf(`{"name":"writer %d item %d","metadata":{"w":"%d"}}`, w, i, w)
				r, err := call(t, "POST", url+"/v1/resources", key, body, "Idempotency-Key", idemKey)
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				statuses[r.status]++
				requestIDs = append(requestIDs, r.header.Get("Request-Id"))
				if r.status == 201 {
					acks = append(acks, ack{idemKey: idemKey, body: body, status: r.status, resp: r.body})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return acks, statuses, requestIDs
}

// TestKill9KeepsAcknowledgedWrites kills the server while 6 clients write;
// after a restart every acknowledged write exists and replays byte for byte.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	db := filepath.Join(t.TempDir(), "docsapi.db")
	key := fastKey(t, db)
	s := serve(t, db)
	stop := make(chan struct{})
	go func() {
		time.Sleep(1500 * time.Millisecond)
		s.cmd.Process.Signal(syscall.SIGKILL)
	}()
	acks, statuses, _ := writers(t, s.url, key, 6, stop)
	s.wait()
	for st := range statuses {
		if st != 201 {
			t.Errorf("status %d during writes: %v", st, statuses)
		}
	}
	if len(acks) < 20 {
		t.Fatalf("only %d writes acknowledged before the kill", len(acks))
	}

	s2 := serve(t, db)
	for i, a := range acks {
		var created struct{ ID string }
		json.Unmarshal(a.resp, &created)
		for {
			r := mustCall(t, "POST", s2.url+"/v1/resources", key, a.body, "Idempotency-Key", a.idemKey)
			if r.status == 429 {
				time.Sleep(200 * time.Millisecond)
				continue
			}
			if r.status != a.status || string(r.body) != string(a.resp) || r.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("ack %d (%s) after restart: %d %s replayed=%q, want %s", i, a.idemKey, r.status, r.body,
					r.header.Get("Idempotent-Replayed"), a.resp)
			}
			g := mustCall(t, "GET", s2.url+"/v1/resources/"+created.ID, key, "")
			if g.status == 429 {
				time.Sleep(200 * time.Millisecond)
				g = mustCall(t, "GET", s2.url+"/v1/resources/"+created.ID, key, "")
			}
			if g.status != 200 {
				t.Fatalf("acknowledged resource %s is gone: %d %s", created.ID, g.status, g.body)
			}
			break
		}
	}
	// The other way round: every resource that exists has its idempotency
	// record (they committed together), so its replay names it.
	after, n := "", 0
	for {
		r := mustCall(t, "GET", s2.url+"/v1/resources?limit=100"+after, key, "")
		var page struct {
			Data []struct {
				ID, Name string
				Metadata map[string]string
			} `json:"data"`
			HasMore bool `json:"has_more"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil || r.status != 200 {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		for _, res := range page.Data {
			var w, i int
			if _, err := fmt.Sscanf(res.Name, "writer %d item %d", &w, &i); err != nil {
				t.Fatalf("unexpected resource %q", res.Name)
			}
			body := fmt.Sprintf(`{"name":"writer %d item %d","metadata":{"w":"%d"}}`, w, i, w)
			rp := mustCall(t, "POST", s2.url+"/v1/resources", key, body, "Idempotency-Key", fmt.Sprintf("w%d-%d", w, i))
			if rp.header.Get("Idempotent-Replayed") != "true" || field(t, rp, "id") != res.ID {
				t.Fatalf("resource %s has no idempotency record: %d %s", res.ID, rp.status, rp.body)
			}
			n++
		}
		if !page.HasMore {
			break
		}
		after = "&starting_after=" + page.Data[len(page.Data)-1].ID
	}
	if n < len(acks) {
		t.Fatalf("%d resources exist, %d were acknowledged", n, len(acks))
	}
	t.Logf("%d acknowledged writes survived kill -9; %d resources exist, each with its idempotency record (statuses %v)", len(acks), n, statuses)
}

// TestSIGTERMDrains sends SIGTERM during writes: no 5xx, exit status 0, and
// the request log holds every request that got a response.
func TestSIGTERMDrains(t *testing.T) {
	db := filepath.Join(t.TempDir(), "docsapi.db")
	key := fastKey(t, db)
	s := serve(t, db)
	stop := make(chan struct{})
	go func() {
		time.Sleep(time.Second)
		s.cmd.Process.Signal(syscall.SIGTERM)
	}()
	_, statuses, ids := writers(t, s.url, key, 6, stop)
	if err := s.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, s.stderr.String())
	}
	for st := range statuses {
		if st >= 500 {
			t.Fatalf("5xx during drain: %v", statuses)
		}
	}
	if !strings.Contains(s.stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop logged: %s", s.stderr.String())
	}

	s2 := serve(t, db)
	logged := map[string]bool{}
	after := ""
	for {
		r := mustCall(t, "GET", s2.url+"/v1/requests?limit=100"+after, key, "")
		if r.status == 429 {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			HasMore bool `json:"has_more"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil || r.status != 200 {
			t.Fatalf("list requests: %d %s", r.status, r.body)
		}
		for _, d := range page.Data {
			logged[d.ID] = true
		}
		if !page.HasMore {
			break
		}
		after = "&starting_after=" + page.Data[len(page.Data)-1].ID
	}
	for _, id := range ids {
		if !logged[id] {
			t.Fatalf("request %s got a response but is not in the request log (%d of %d logged)", id, len(logged), len(ids))
		}
	}
	t.Logf("%d requests answered during the drain, all logged (statuses %v)", len(ids), statuses)
}
