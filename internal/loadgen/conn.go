package loadgen

import (
	"bufio"
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

// conn is one keep-alive connection to a target's address.
type conn struct {
	nc   net.Conn
	r    *bufio.Reader
	addr string
	used bool // has completed a request (a failure on reuse is retried once)
}

var errBadResponse = errors.New("malformed HTTP response")

func dial(ctx context.Context, p *prepared, timeout time.Duration) (*conn, error) {
	d := net.Dialer{Timeout: timeout, KeepAlive: -1}
	nc, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if p.tls != nil {
		tc := tls.Client(nc, p.tls)
		_ = tc.SetDeadline(time.Now().Add(timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	return &conn{nc: nc, r: bufio.NewReaderSize(nc, 8<<10), addr: p.addr}, nil
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
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, false, len(line) > 0, err
		}
		status, err = parseStatusLine(line)
		if err != nil {
			return 0, false, true, err
		}
		length, chunked, closeConn, err := c.readHeaders()
		if err != nil {
			return status, false, true, err
		}
		if status >= 100 && status < 200 {
			continue // 100 Continue and friends precede the real response
		}
		switch {
		case p.head || status == 204 || status == 304:
		case chunked:
			err = c.discardChunked()
		case length >= 0:
			_, err = c.r.Discard(int(length))
		default:
			_, err = io.Copy(io.Discard, c.r) // body ends when the server closes
			closeConn = true
		}
		if err != nil {
			return status, false, true, err
		}
		c.used = true
		return status, !closeConn, true, nil
	}
}

func parseStatusLine(line []byte) (int, error) {
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, errBadResponse
	}
	code := 0
	for _, ch := range line[9:12] {
		if ch < '0' || ch > '9' {
			return 0, errBadResponse
		}
		code = code*10 + int(ch-'0')
	}
	return code, nil
}

var (
	hdrContentLength    = []byte("content-length")
	hdrTransferEncoding = []byte("transfer-encoding")
	hdrConnection       = []byte("connection")
)

func (c *conn) readHeaders() (length int64, chunked, closeConn bool, err error) {
	length = -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				err = fmt.Errorf("%w: a header line is longer than 8 KiB", errBadResponse)
			}
			return 0, false, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return length, chunked, closeConn, nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return 0, false, false, errBadResponse
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(name, hdrContentLength):
			n, ok := parseUint(value, 10)
			if !ok {
				return 0, false, false, fmt.Errorf("%w: Content-Length %q", errBadResponse, value)
			}
			length = n
		case bytes.EqualFold(name, hdrTransferEncoding):
			// "chunked" is always the last coding ("gzip, chunked").
			chunked = len(value) >= 7 && bytes.EqualFold(value[len(value)-7:], []byte("chunked"))
		case bytes.EqualFold(name, hdrConnection):
			closeConn = bytes.EqualFold(value, []byte("close"))
		}
	}
}

func (c *conn) discardChunked() error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions
		}
		size, ok := parseUint(bytes.TrimSpace(line), 16)
		if !ok {
			return fmt.Errorf("%w: chunk size %q", errBadResponse, line)
		}
		if size == 0 {
			// Trailers, then the final empty line.
			for {
				t, err := c.r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := c.r.Discard(int(size) + 2); err != nil {
			return err
		}
	}
}

// parseUint parses a decimal or hexadecimal number without allocating
// (strconv would copy the bytes into a string).
func parseUint(b []byte, base int64) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, ch := range b {
		var d int64
		switch {
		case ch >= '0' && ch <= '9':
			d = int64(ch - '0')
		case base == 16 && ch >= 'a' && ch <= 'f':
			d = int64(ch-'a') + 10
		case base == 16 && ch >= 'A' && ch <= 'F':
			d = int64(ch-'A') + 10
		default:
			return 0, false
		}
		n = n*base + d
	}
	return n, true
}

func (c *conn) close() {
	if c != nil && c.nc != nil {
		c.nc.Close()
	}
}
