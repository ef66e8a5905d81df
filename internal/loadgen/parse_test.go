package loadgen

import (
	"strings"
	"testing"
)

// The parser must find the same end of a response however the bytes are
// split across reads (the event loop feeds whatever one read returned).
func TestParserFindsTheEndOfAResponseInAnySplit(t *testing.T) {
	cases := []struct {
		name, response string
		head           bool
		status         int
		closeConn      bool
	}{
		{"length", healthResponse, false, 200, false},
		{"chunked with trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\na\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n", false, 200, false},
		{"interim 100", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", false, 201, false},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\n", false, 204, false},
		{"head", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", true, 200, false},
		{"close", "HTTP/1.1 503 Unavailable\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy", false, 503, true},
	}
	for _, c := range cases {
		for _, size := range []int{1, 2, 7, len(c.response)} {
			var p respParser
			p.reset(c.head)
			b := []byte(c.response + "NEXT")
			off, done := 0, false
			for !done && off < len(b) {
				end := min(off+size, len(b))
				n, d, err := p.feed(b[off:end])
				if err != nil {
					t.Fatalf("%s, %d-byte reads: %v", c.name, size, err)
				}
				off, done = off+n, d
			}
			if !done || off != len(c.response) || p.status != c.status || p.closeConn != c.closeConn {
				t.Errorf("%s, %d-byte reads: done=%v consumed %d of %d, status %d close %v", c.name, size, done, off, len(c.response), p.status, p.closeConn)
			}
		}
	}
}

func TestParserRejectsMalformedResponses(t *testing.T) {
	for _, r := range []string{
		"HTTX/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", maxLineLen) + "\r\n\r\n",
	} {
		var p respParser
		p.reset(false)
		if _, _, err := p.feed([]byte(r)); err == nil {
			t.Errorf("no error for %.40q", r)
		}
	}
	// A body without length ends when the server closes; anything else is cut short.
	var p respParser
	p.reset(false)
	if _, done, _ := p.feed([]byte("HTTP/1.0 200 OK\r\n\r\nbody")); done {
		t.Fatal("done before the close")
	}
	if done, err := p.eof(); !done || err != nil || !p.closeConn {
		t.Fatalf("eof: done=%v err=%v", done, err)
	}
	p.reset(false)
	p.feed([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"))
	if done, err := p.eof(); done || err == nil {
		t.Fatalf("truncated body: done=%v err=%v", done, err)
	}
}
