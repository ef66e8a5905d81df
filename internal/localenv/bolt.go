package localenv

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// The readiness check speaks Bolt, Neo4j's protocol (neo4j.com/docs/bolt):
// a TCP connection, the handshake (the magic 60 60 B0 17 and four version
// proposals, answered with the version the server picked), then HELLO and,
// from Bolt 5.1, LOGON with the credentials; SUCCESS to both means the
// database is up and accepts this user and password. Messages are
// PackStream structs sent in chunks (a 2-byte size, the bytes, and 00 00 at
// the end of a message).

// boltMagic opens every Bolt connection.
var boltMagic = []byte{0x60, 0x60, 0xB0, 0x17}

// boltProposals offers Bolt 5.8 down to 5.0, then 4.4 down to 4.2: each
// proposal is [0, range, minor, major], meaning major.minor and the `range`
// minor versions below it. Neo4j 5.x speaks 5.0 and later; 4.4 keeps the
// check working against an older server too.
var boltProposals = [4][4]byte{{0, 8, 8, 5}, {0, 2, 4, 4}, {}, {}}

// Message tags (the struct tag of each Bolt message).
const (
	msgHello   = 0x01
	msgGoodbye = 0x02
	msgLogon   = 0x6A
	msgSuccess = 0x70
	msgIgnored = 0x7E
	msgFailure = 0x7F
)

// BoltVersion is a negotiated protocol version.
type BoltVersion struct{ Major, Minor int }

func (v BoltVersion) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// atLeast reports whether v is major.minor or later.
func (v BoltVersion) atLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

// Probe is one database to check.
type Probe struct {
	// Database names it in messages: "LedgerSpace".
	Database string
	// Address is host:port of its Bolt port, as reachable from here.
	Address string
	// User and Password are the credentials it must accept.
	User, Password string
	// UserAgent is sent in HELLO (default "credex-ci").
	UserAgent string
	// AttemptTimeout bounds one attempt: connect, handshake and login
	// (default 5 s).
	AttemptTimeout time.Duration
}

// Server is what a ready database reported.
type Server struct {
	// Agent is the server's HELLO answer, e.g. "Neo4j/5.26.0".
	Agent string
	// Version is the negotiated Bolt version.
	Version BoltVersion
}

// FailureError is a Bolt FAILURE: the server's status code and message.
type FailureError struct {
	// Request is the message that failed: HELLO or LOGON.
	Request string
	Code    string
	Message string
}

func (e *FailureError) Error() string {
	return fmt.Sprintf("%s answered FAILURE %s: %s", e.Request, e.Code, e.Message)
}

// credentialsRefused reports whether the server refused the user or
// password (a definite answer: retrying cannot help).
func (e *FailureError) credentialsRefused() bool {
	return strings.HasPrefix(e.Code, "Neo.ClientError.Security.")
}

// definiteError is an answer retrying cannot change: refused credentials, a
// server that does not speak Bolt, or no common protocol version.
type definiteError struct{ err error }

func (e definiteError) Error() string { return e.err.Error() }
func (e definiteError) Unwrap() error { return e.err }

// Check makes one readiness attempt: connect, handshake, log in. It
// returns what the server reported, or what went wrong at which step.
func Check(ctx context.Context, p Probe) (Server, error) {
	p = p.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, p.AttemptTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.Address)
	if err != nil {
		return Server{}, fmt.Errorf("connect: %w", unwrapOp(err))
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	c := &boltConn{conn: conn, r: bufio.NewReader(conn)}
	v, err := c.handshake()
	if err != nil {
		return Server{}, fmt.Errorf("handshake: %w", err)
	}
	srv := Server{Version: v}
	if srv.Agent, err = c.login(v, p); err != nil {
		return srv, err
	}
	c.send(structure{tag: msgGoodbye}) // best effort: the server closes the connection
	return srv, nil
}

func (p Probe) withDefaults() Probe {
	if p.UserAgent == "" {
		p.UserAgent = "credex-ci"
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = 5 * time.Second
	}
	return p
}

// unwrapOp drops net.OpError's "dial tcp host:port: connect:" prefixes,
// which the caller's message already says: "connection refused" remains.
func unwrapOp(err error) error {
	var sys *os.SyscallError
	if errors.As(err, &sys) && sys.Err != nil {
		return sys.Err
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

type boltConn struct {
	conn net.Conn
	r    *bufio.Reader
}

// handshake sends the magic and the proposals and reads the version the
// server picked.
func (c *boltConn) handshake() (BoltVersion, error) {
	hello := append([]byte(nil), boltMagic...)
	for _, p := range boltProposals {
		hello = append(hello, p[:]...)
	}
	if _, err := c.conn.Write(hello); err != nil {
		return BoltVersion{}, err
	}
	var answer [4]byte
	if _, err := io.ReadFull(c.r, answer[:]); err != nil {
		if closedByServer(err) {
			return BoltVersion{}, errors.New("the server closed the connection before choosing a version (still starting?)")
		}
		return BoltVersion{}, err
	}
	switch {
	case string(answer[:]) == "HTTP":
		return BoltVersion{}, definiteError{errors.New("the server answered HTTP, not Bolt: is this Neo4j's HTTP port (7474) rather than Bolt (7687)?")}
	case answer == [4]byte{}:
		return BoltVersion{}, definiteError{fmt.Errorf("the server speaks none of the offered Bolt versions (5.0-5.8, 4.2-4.4)")}
	case answer[0] != 0 || answer[1] != 0:
		return BoltVersion{}, definiteError{fmt.Errorf("the server's answer % X is not a Bolt version: is this port Neo4j's Bolt port?", answer)}
	}
	return BoltVersion{Major: int(answer[3]), Minor: int(answer[2])}, nil
}

// login sends HELLO (with the credentials before Bolt 5.1) and LOGON (from
// 5.1), each expecting SUCCESS, and returns the server agent.
func (c *boltConn) login(v BoltVersion, p Probe) (string, error) {
	auth := orderedMap{{"scheme", "basic"}, {"principal", p.User}, {"credentials", p.Password}}
	hello := orderedMap{{"user_agent", p.UserAgent}}
	if v.atLeast(5, 3) {
		hello = append(hello, entry{"bolt_agent", orderedMap{{"product", p.UserAgent}}})
	}
	if !v.atLeast(5, 1) {
		hello = append(hello, auth...)
	}
	meta, err := c.request("HELLO", structure{tag: msgHello, fields: []any{hello}})
	if err != nil {
		return "", err
	}
	agent, _ := meta["server"].(string)
	if v.atLeast(5, 1) {
		if _, err := c.request("LOGON", structure{tag: msgLogon, fields: []any{auth}}); err != nil {
			return agent, err
		}
	}
	return agent, nil
}

// request sends one message and reads its summary: SUCCESS's metadata, or
// FAILURE as a *FailureError.
func (c *boltConn) request(name string, msg structure) (map[string]any, error) {
	if err := c.send(msg); err != nil {
		return nil, fmt.Errorf("sending %s: %w", name, err)
	}
	reply, err := c.receive()
	if err != nil {
		return nil, fmt.Errorf("reading the answer to %s: %w", name, err)
	}
	meta := map[string]any{}
	if len(reply.fields) > 0 {
		if m, ok := reply.fields[0].(map[string]any); ok {
			meta = m
		}
	}
	switch reply.tag {
	case msgSuccess:
		return meta, nil
	case msgFailure:
		f := &FailureError{Request: name}
		f.Code, _ = meta["code"].(string)
		if f.Code == "" { // Bolt 5.7 renamed it
			f.Code, _ = meta["neo4j_code"].(string)
		}
		f.Message, _ = meta["message"].(string)
		if f.credentialsRefused() {
			return nil, definiteError{f}
		}
		return nil, f
	case msgIgnored:
		return nil, fmt.Errorf("%s was IGNORED by the server", name)
	}
	return nil, fmt.Errorf("%s: unexpected answer 0x%02X", name, reply.tag)
}

// send packs a message and writes it in chunks of at most 65535 bytes,
// ended by an empty chunk.
func (c *boltConn) send(msg structure) error {
	body, err := pack(nil, msg)
	if err != nil {
		return err
	}
	_, err = c.conn.Write(chunk(body))
	return err
}

// chunk frames a message: chunks of at most 65535 bytes, each after its
// size, then 00 00.
func chunk(body []byte) []byte {
	var out []byte
	for len(body) > 0 {
		n := min(len(body), 0xFFFF)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
		out = append(out, body[:n]...)
		body = body[n:]
	}
	return append(out, 0, 0)
}

// receive reads one message (skipping NOOP keep-alive chunks between
// messages) and unpacks it.
func (c *boltConn) receive() (structure, error) {
	body, err := readMessage(c.r)
	if err != nil {
		if closedByServer(err) {
			return structure{}, errors.New("the server closed the connection")
		}
		return structure{}, err
	}
	u := &unpacker{b: body}
	v, err := u.unpack()
	if err != nil {
		return structure{}, err
	}
	s, ok := v.(structure)
	if !ok {
		return structure{}, fmt.Errorf("the server sent %T, not a message", v)
	}
	return s, nil
}

// closedByServer reports whether a read failed because the server closed
// (or reset) the connection.
func closedByServer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// readMessage reads the chunks of one message.
func readMessage(r io.Reader) ([]byte, error) {
	var body []byte
	var size [2]byte
	for {
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return nil, err
		}
		n := int(binary.BigEndian.Uint16(size[:]))
		if n == 0 {
			if len(body) == 0 {
				continue // a NOOP between messages
			}
			return body, nil
		}
		start := len(body)
		body = append(body, make([]byte, n)...)
		if _, err := io.ReadFull(r, body[start:]); err != nil {
			return nil, err
		}
	}
}

// WaitOptions bound Wait; zero fields take the defaults.
type WaitOptions struct {
	// Timeout is how long the database may take to become ready (default
	// 3 min: a cold Neo4j on a busy CI runner takes about half a minute).
	Timeout time.Duration
	// InitialBackoff doubles after each failed attempt, up to MaxBackoff
	// (defaults 250 ms and 2 s).
	InitialBackoff, MaxBackoff time.Duration
	// OnAttempt, when set, hears about every failed attempt (progress).
	OnAttempt func(attempt int, err error)
}

// NotReadyError says which database never became ready and what the last
// attempt saw.
type NotReadyError struct {
	Database, Address string
	Attempts          int
	Waited            time.Duration
	// Definite is set when the check stopped early because retrying could
	// not help (credentials refused, not a Bolt server).
	Definite bool
	// Last is the last attempt's error.
	Last error
}

func (e *NotReadyError) Error() string {
	if e.Definite {
		return fmt.Sprintf("%s (Bolt at %s) is not usable: %v (not retried: the answer is definite)", e.Database, e.Address, e.Last)
	}
	return fmt.Sprintf("%s (Bolt at %s) never became ready: %d attempt(s) over %s; the last one: %v",
		e.Database, e.Address, e.Attempts, e.Waited.Round(100*time.Millisecond), e.Last)
}

func (e *NotReadyError) Unwrap() error { return e.Last }

// Wait checks a database until it is ready (Check succeeds), the timeout
// passes, or the answer is definite. A failure is a *NotReadyError naming
// the database and what the last attempt saw.
func Wait(ctx context.Context, p Probe, o WaitOptions) (Server, error) {
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Minute
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 2 * time.Second
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	backoff := o.InitialBackoff
	for attempt := 1; ; attempt++ {
		srv, err := Check(ctx, p)
		if err == nil {
			return srv, nil
		}
		var definite definiteError
		if errors.As(err, &definite) {
			return srv, &NotReadyError{Database: p.Database, Address: p.Address, Attempts: attempt, Waited: time.Since(start), Definite: true, Last: err}
		}
		if o.OnAttempt != nil {
			o.OnAttempt(attempt, err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return srv, &NotReadyError{Database: p.Database, Address: p.Address, Attempts: attempt, Waited: time.Since(start), Last: err}
		case <-t.C:
		}
		backoff = min(backoff*2, o.MaxBackoff)
	}
}
