package localenv

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// boltServer speaks the server side of Bolt on 127.0.0.1, as Neo4j does:
// the handshake (answering the version it is configured with), HELLO and,
// from 5.1, LOGON, checking the user and password, and GOODBYE.
type boltServer struct {
	t        *testing.T
	ln       net.Listener
	version  [4]byte // the handshake answer, e.g. {0, 0, 4, 5} for 5.4
	user     string
	password string
	// before, when set, decides what the n-th connection gets instead of
	// a normal session: "close" (closed before the handshake answer),
	// "http" (an HTTP error page), "hang" (nothing at all), "transient" (a
	// TransientError to HELLO).
	before func(n int) string

	mu        sync.Mutex
	conns     int
	handshake []byte         // the first connection's 20 handshake bytes
	messages  []structure    // every message received, in order
	hello     map[string]any // the last HELLO's extra
	logon     map[string]any // the last LOGON's auth
	closed    chan struct{}  // closed when the listener is
	wg        sync.WaitGroup
}

func bolt(t *testing.T, version [4]byte, password string) *boltServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveBolt(t, ln, version, password)
}

func serveBolt(t *testing.T, ln net.Listener, version [4]byte, password string) *boltServer {
	s := &boltServer{t: t, ln: ln, version: version, user: "neo4j", password: password, closed: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			n, before := s.conns, s.before
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				mode := ""
				if before != nil {
					mode = before(n)
				}
				s.session(c, mode)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		close(s.closed)
		s.wg.Wait()
	})
	return s
}

func (s *boltServer) addr() string { return s.ln.Addr().String() }

// script sets what each connection gets (see before).
func (s *boltServer) script(before func(n int) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = before
}

func (s *boltServer) session(c net.Conn, mode string) {
	switch mode {
	case "close":
		return
	case "http":
		io.ReadFull(c, make([]byte, 20))
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		return
	case "hang":
		<-s.closed
		return
	}
	hs := make([]byte, 20)
	if _, err := io.ReadFull(c, hs); err != nil {
		return
	}
	s.mu.Lock()
	if s.handshake == nil {
		s.handshake = hs
	}
	s.mu.Unlock()
	if !bytes.Equal(hs[:4], []byte{0x60, 0x60, 0xB0, 0x17}) {
		return // Neo4j closes the connection on a wrong preamble
	}
	c.Write(s.version[:])
	if s.version == [4]byte{} {
		return
	}
	v := BoltVersion{Major: int(s.version[3]), Minor: int(s.version[2])}
	c.Write([]byte{0, 0}) // a NOOP the client must skip
	for {
		body, err := readMessage(c)
		if err != nil {
			return
		}
		u := &unpacker{b: body}
		m, err := u.unpack()
		if err != nil {
			s.t.Errorf("server: unreadable message % X: %v", body, err)
			return
		}
		msg := m.(structure)
		s.mu.Lock()
		s.messages = append(s.messages, msg)
		s.mu.Unlock()
		switch msg.tag {
		case msgHello:
			extra := msg.fields[0].(map[string]any)
			s.mu.Lock()
			s.hello = extra
			s.mu.Unlock()
			if mode == "transient" {
				s.reply(c, msgFailure, orderedMap{{"code", "Neo.TransientError.General.DatabaseUnavailable"}, {"message", "Database 'neo4j' is unavailable."}})
				return
			}
			if !v.atLeast(5, 1) && !s.authorized(extra) {
				s.unauthorized(c)
				return
			}
			s.reply(c, msgSuccess, orderedMap{{"server", "Neo4j/5.26.0"}, {"connection_id", "bolt-7"}})
		case msgLogon:
			auth := msg.fields[0].(map[string]any)
			s.mu.Lock()
			s.logon = auth
			s.mu.Unlock()
			if !s.authorized(auth) {
				s.unauthorized(c)
				return
			}
			s.reply(c, msgSuccess, orderedMap{})
		case msgGoodbye:
			return
		default:
			s.reply(c, msgFailure, orderedMap{{"code", "Neo.ClientError.Request.Invalid"}, {"message", "unexpected message"}})
			return
		}
	}
}

func (s *boltServer) authorized(auth map[string]any) bool {
	return auth["scheme"] == "basic" && auth["principal"] == s.user && auth["credentials"] == s.password
}

func (s *boltServer) unauthorized(c net.Conn) {
	s.reply(c, msgFailure, orderedMap{{"code", "Neo.ClientError.Security.Unauthorized"}, {"message", "The client is unauthorized due to authentication failure."}})
}

func (s *boltServer) reply(c net.Conn, tag byte, meta orderedMap) {
	body, err := pack(nil, structure{tag: tag, fields: []any{meta}})
	if err != nil {
		s.t.Error(err)
		return
	}
	c.Write(chunk(body))
}

// seen returns what the server received, once it has read the client's
// GOODBYE (sent after Wait returned) or after a second.
func (s *boltServer) seen() (hs []byte, tags []byte, hello, logon map[string]any) {
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s.mu.Lock()
		n := len(s.messages)
		done := n > 0 && s.messages[n-1].tag == msgGoodbye
		s.mu.Unlock()
		if done {
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		tags = append(tags, m.tag)
	}
	return s.handshake, tags, s.hello, s.logon
}

var (
	bolt54 = [4]byte{0, 0, 4, 5}
	bolt50 = [4]byte{0, 0, 0, 5}
	bolt44 = [4]byte{0, 0, 4, 4}
)

func probe(addr, password string) Probe {
	return Probe{Database: "LedgerSpace", Address: addr, User: "neo4j", Password: password, AttemptTimeout: time.Second}
}

func quick() WaitOptions {
	return WaitOptions{Timeout: 5 * time.Second, InitialBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
}

func TestReadyWithLogonFromBolt51(t *testing.T) {
	s := bolt(t, bolt54, "s3cret-pass")
	srv, err := Wait(context.Background(), probe(s.addr(), "s3cret-pass"), quick())
	if err != nil {
		t.Fatal(err)
	}
	if srv.Agent != "Neo4j/5.26.0" || srv.Version != (BoltVersion{5, 4}) {
		t.Errorf("server %+v", srv)
	}
	hs, tags, hello, logon := s.seen()
	wantHS := []byte{0x60, 0x60, 0xB0, 0x17, 0, 8, 8, 5, 0, 2, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(hs, wantHS) {
		t.Errorf("handshake % X\nwant      % X", hs, wantHS)
	}
	if !bytes.Equal(tags, []byte{msgHello, msgLogon, msgGoodbye}) {
		t.Errorf("messages % X, want HELLO LOGON GOODBYE", tags)
	}
	if _, ok := hello["credentials"]; ok || hello["user_agent"] != "credex-ci" {
		t.Errorf("from 5.1 HELLO carries no credentials: %v", hello)
	}
	if agent, _ := hello["bolt_agent"].(map[string]any); agent["product"] != "credex-ci" {
		t.Errorf("from 5.3 HELLO carries bolt_agent.product: %v", hello)
	}
	if logon["scheme"] != "basic" || logon["principal"] != "neo4j" || logon["credentials"] != "s3cret-pass" {
		t.Errorf("LOGON %v", logon)
	}
}

func TestReadyWithCredentialsInHelloBefore51(t *testing.T) {
	for _, v := range [][4]byte{bolt50, bolt44} {
		s := bolt(t, v, "pw-before-logon")
		if _, err := Wait(context.Background(), probe(s.addr(), "pw-before-logon"), quick()); err != nil {
			t.Fatalf("Bolt %d.%d: %v", v[3], v[2], err)
		}
		_, tags, hello, _ := s.seen()
		if !bytes.Equal(tags, []byte{msgHello, msgGoodbye}) || hello["credentials"] != "pw-before-logon" || hello["principal"] != "neo4j" {
			t.Errorf("Bolt %d.%d: messages % X, HELLO %v", v[3], v[2], tags, hello)
		}
		if _, ok := hello["bolt_agent"]; ok {
			t.Errorf("Bolt %d.%d: bolt_agent is a 5.3 field: %v", v[3], v[2], hello)
		}
	}
}

func TestAWrongPasswordIsDefiniteAndNamesTheDatabase(t *testing.T) {
	s := bolt(t, bolt54, "the-real-one")
	var attempts int
	o := quick()
	o.OnAttempt = func(int, error) { attempts++ }
	start := time.Now()
	_, err := Wait(context.Background(), probe(s.addr(), "a-wrong-one"), o)
	var nr *NotReadyError
	if !errors.As(err, &nr) || !nr.Definite {
		t.Fatalf("want a definite NotReadyError, got %v", err)
	}
	want := "LedgerSpace (Bolt at " + s.addr() + ") is not usable: LOGON answered FAILURE Neo.ClientError.Security.Unauthorized: " +
		"The client is unauthorized due to authentication failure. (not retried: the answer is definite)"
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
	if attempts != 0 || time.Since(start) > 2*time.Second {
		t.Errorf("refused credentials are not retried: %d retries in %s", attempts, time.Since(start))
	}
	if strings.Contains(err.Error(), "a-wrong-one") {
		t.Error("the error must not echo the password")
	}
}

func TestNotYetListeningIsRetriedUntilReady(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there yet: connection refused
	var mu sync.Mutex
	var seen []string
	o := quick()
	o.OnAttempt = func(n int, err error) { mu.Lock(); seen = append(seen, err.Error()); mu.Unlock() }
	go func() {
		time.Sleep(400 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("re-listen on %s: %v", addr, err)
			return
		}
		serveBolt(t, ln, bolt54, "pw")
	}()
	if _, err := Wait(context.Background(), probe(addr, "pw"), o); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || !strings.Contains(seen[0], "connect: connection refused") {
		t.Errorf("attempts before the server listened: %q", seen)
	}
}

func TestNeverListeningTimesOutWithWhatItSaw(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o := quick()
	o.Timeout = 600 * time.Millisecond
	_, err = Wait(context.Background(), Probe{Database: "SearchSpace", Address: addr, User: "neo4j", Password: "pw"}, o)
	var nr *NotReadyError
	if !errors.As(err, &nr) || nr.Definite || nr.Attempts < 2 {
		t.Fatalf("want a NotReadyError after several attempts, got %#v", err)
	}
	msg := err.Error()
	for _, want := range []string{"SearchSpace (Bolt at " + addr + ") never became ready: ", " attempt(s) over ", "; the last one: connect: connection refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

func TestServerStartingUpIsRetried(t *testing.T) {
	s := bolt(t, bolt54, "pw")
	s.script(func(n int) string {
		switch n {
		case 1:
			return "close"
		case 2:
			return "transient"
		}
		return ""
	})
	var seen []string
	o := quick()
	o.OnAttempt = func(n int, err error) { seen = append(seen, err.Error()) }
	if _, err := Wait(context.Background(), probe(s.addr(), "pw"), o); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"handshake: the server closed the connection before choosing a version (still starting?)",
		"HELLO answered FAILURE Neo.TransientError.General.DatabaseUnavailable: Database 'neo4j' is unavailable.",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("attempts:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

func TestNotBoltIsDefinite(t *testing.T) {
	s := bolt(t, bolt54, "pw")
	s.script(func(int) string { return "http" })
	_, err := Wait(context.Background(), probe(s.addr(), "pw"), quick())
	if err == nil || !strings.Contains(err.Error(), "is not usable: handshake: the server answered HTTP, not Bolt: is this Neo4j's HTTP port (7474) rather than Bolt (7687)?") {
		t.Errorf("HTTP on the port: %v", err)
	}
	none := bolt(t, [4]byte{}, "pw")
	_, err = Wait(context.Background(), probe(none.addr(), "pw"), quick())
	if err == nil || !strings.Contains(err.Error(), "the server speaks none of the offered Bolt versions (5.0-5.8, 4.2-4.4)") {
		t.Errorf("no common version: %v", err)
	}
}

func TestAServerThatNeverAnswersTimesOutPerAttempt(t *testing.T) {
	s := bolt(t, bolt54, "pw")
	s.script(func(int) string { return "hang" })
	p := probe(s.addr(), "pw")
	p.AttemptTimeout = 150 * time.Millisecond
	o := quick()
	o.Timeout = 700 * time.Millisecond
	_, err := Wait(context.Background(), p, o)
	var nr *NotReadyError
	if !errors.As(err, &nr) || nr.Attempts < 2 || !strings.Contains(err.Error(), "i/o timeout") {
		t.Errorf("want several timed-out attempts, got %v", err)
	}
}

func TestPackStreamMatchesTheSpec(t *testing.T) {
	long := strings.Repeat("x", 16)
	for _, c := range []struct {
		v    any
		want []byte
	}{
		{nil, []byte{0xC0}},
		{true, []byte{0xC3}},
		{false, []byte{0xC2}},
		{1, []byte{0x01}},
		{-16, []byte{0xF0}},
		{-17, []byte{0xC8, 0xEF}},
		{128, []byte{0xC9, 0x00, 0x80}},
		{int64(1 << 40), []byte{0xCB, 0, 0, 1, 0, 0, 0, 0, 0}},
		{1.1, []byte{0xC1, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A}},
		{"", []byte{0x80}},
		{"a", []byte{0x81, 0x61}},
		{long, append([]byte{0xD0, 0x10}, long...)},
		{[]any{1, 2, 3}, []byte{0x93, 0x01, 0x02, 0x03}},
		{orderedMap{{"one", "eins"}}, []byte{0xA1, 0x83, 0x6F, 0x6E, 0x65, 0x84, 0x65, 0x69, 0x6E, 0x73}},
		{structure{tag: msgGoodbye}, []byte{0xB0, 0x02}},
		{structure{tag: msgHello, fields: []any{orderedMap{{"user_agent", "credex-ci"}}}},
			append([]byte{0xB1, 0x01, 0xA1, 0x8A}, append([]byte("user_agent\x89"), "credex-ci"...)...)},
	} {
		got, err := pack(nil, c.v)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("pack(%#v) = % X (%v), want % X", c.v, got, err, c.want)
		}
	}
	// Everything the server may send reads back: sizes in every width.
	in := orderedMap{
		{"s16", strings.Repeat("y", 300)}, {"list", []any{int64(-1), 2.5, nil, true, []byte{1, 2}}},
		{"big", int64(-1 << 33)}, {"nested", orderedMap{{"k", "v"}}}, {"i32", int64(70000)},
	}
	b, err := pack(nil, structure{tag: msgSuccess, fields: []any{in}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := (&unpacker{b: b}).unpack()
	if err != nil {
		t.Fatal(err)
	}
	m := v.(structure).fields[0].(map[string]any)
	if m["s16"] != strings.Repeat("y", 300) || m["big"] != int64(-1<<33) || m["i32"] != int64(70000) ||
		m["nested"].(map[string]any)["k"] != "v" || m["list"].([]any)[1] != 2.5 || !bytes.Equal(m["list"].([]any)[4].([]byte), []byte{1, 2}) {
		t.Errorf("round trip: %#v", m)
	}
	if _, err := (&unpacker{b: []byte{0xD1, 0x01}}).unpack(); !errors.Is(err, errShort) {
		t.Errorf("a cut value: %v", err)
	}
}

func TestChunking(t *testing.T) {
	body := bytes.Repeat([]byte{0xAB}, 70000)
	framed := chunk(body)
	if binary.BigEndian.Uint16(framed) != 0xFFFF || binary.BigEndian.Uint16(framed[2+0xFFFF:]) != 70000-0xFFFF ||
		!bytes.HasSuffix(framed, []byte{0, 0}) || len(framed) != 70000+2+2+2 {
		t.Fatalf("chunks of at most 65535 bytes, then 00 00: len %d", len(framed))
	}
	// A NOOP before the message is skipped.
	got, err := readMessage(bytes.NewReader(append([]byte{0, 0}, framed...)))
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("readMessage: %d bytes, %v", len(got), err)
	}
}
