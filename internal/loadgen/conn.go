package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
)

// A lean HTTP/1.1 client: one keep-alive connection per worker, requests
// serialized once up front, responses parsed just enough to find their end
// (status line, Content-Length, chunked encoding, Connection: close). This is
// what keeps the generator's CPU per request low (the approach of wrk and
// autocannon): net/http's transport spends several goroutine hand-offs and
// allocations per request that a load generator does not need. It speaks
// http:// and https:// (TLS via crypto/tls), not proxies or HTTP/2.

// prepared is a target serialized for the wire.
type prepared struct {
	addr    string // host:port to dial
	tls     *tls.Config
	request []byte
	head    bool // HEAD responses have no body
}

func prepare(t Target, userAgent string) (prepared, error) {
	u, err := url.Parse(t.URL)
	if err != nil {
		return prepared{}, fmt.Errorf("target %q: %w", t.URL, err)
	}
	var p prepared
	port := u.Port()
	switch u.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
		p.tls = &tls.Config{ServerName: u.Hostname(), NextProtos: []string{"http/1.1"}}
	default:
		return prepared{}, fmt.Errorf("target %q: the URL must start with http:// or https://", t.URL)
	}
	if u.Hostname() == "" {
		return prepared{}, fmt.Errorf("target %q: the URL has no host", t.URL)
	}
	p.addr = net.JoinHostPort(u.Hostname(), port)
	method := strings.ToUpper(t.Method)
	if method == "" {
		method = "GET"
	}
	p.head = method == "HEAD"
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, u.RequestURI(), u.Host)
	hasUA := false
	for k, vs := range t.Header {
		if strings.EqualFold(k, "Host") || strings.EqualFold(k, "Content-Length") {
			continue
		}
		hasUA = hasUA || strings.EqualFold(k, "User-Agent")
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if !hasUA {
		fmt.Fprintf(&b, "User-Agent: %s\r\n", userAgent)
	}
	if len(t.Body) > 0 || method == "POST" || method == "PUT" || method == "PATCH" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(t.Body))
	}
	b.WriteString("\r\n")
	b.Write(t.Body)
	p.request = b.Bytes()
	return p, nil
}

// conn is one keep-alive connection to a target's address, used by the
// goroutine-per-connection engine.
type conn struct {
	nc     net.Conn
	raw    net.Conn // the TCP connection under nc (nc itself without TLS)
	buf    []byte   // bytes read; buf[r:w] not parsed yet
	r, w   int
	parser respParser
	addr   string
	used   bool // has completed a request (a failure on reuse is retried once)
}

func dial(ctx context.Context, p *prepared, timeout time.Duration) (*conn, error) {
	d := net.Dialer{Timeout: timeout, KeepAlive: -1}
	nc, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	raw := nc
	if p.tls != nil {
		tc := tls.Client(nc, p.tls)
		_ = tc.SetDeadline(time.Now().Add(timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	c := newConn(nc, p.addr)
	c.raw = raw
	return c, nil
}

func newConn(nc net.Conn, addr string) *conn {
	return &conn{nc: nc, raw: nc, buf: make([]byte, 8<<10), addr: addr}
}

// roundTrip writes the request and reads the response, returning its status
// code and whether the connection can be reused. started reports whether any
// byte of a response arrived (a failure before that on a reused connection is
// a stale keep-alive, worth one retry).
func (c *conn) roundTrip(p *prepared, deadline time.Time) (status int, reusable, started bool, err error) {
	if err := c.nc.SetDeadline(deadline); err != nil {
		return 0, false, false, err
	}
	if _, err := c.nc.Write(p.request); err != nil {
		return 0, false, false, err
	}
	c.parser.reset(p.head)
	for {
		if c.r < c.w {
			started = true
			n, done, err := c.parser.feed(c.buf[c.r:c.w])
			c.r += n
			if err != nil {
				return c.parser.status, false, true, err
			}
			if done {
				c.used = true
				return c.parser.status, !c.parser.closeConn, true, nil
			}
		}
		c.r, c.w = 0, 0
		n, err := c.nc.Read(c.buf)
		c.w = n
		if err == nil || n > 0 {
			continue
		}
		if errors.Is(err, io.EOF) && started {
			done, perr := c.parser.eof()
			if done {
				c.used = true
				return c.parser.status, false, true, nil
			}
			err = perr
		}
		return c.parser.status, false, started, err
	}
}

func (c *conn) close() {
	if c != nil && c.nc != nil {
		c.nc.Close()
	}
}
