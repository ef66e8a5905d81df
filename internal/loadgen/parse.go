package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// respParser finds the end of one HTTP/1.1 response in bytes fed to it as
// they arrive, in pieces of any size: status line, Content-Length, chunked
// encoding, Connection: close, 1xx interim responses, bodyless responses
// (HEAD, 204, 304) and bodies that end when the server closes. It keeps no
// body bytes and allocates only when a line is split across reads. Both
// engines (goroutine per connection, and the Linux event loop) use it.
type respParser struct {
	head      bool // the request was HEAD: the response has no body
	state     parseState
	status    int
	length    int64 // Content-Length of the current header block, -1 when absent
	remaining int64 // body or chunk bytes still to skip
	chunked   bool
	closeConn bool   // the server will close the connection after this response
	line      []byte // a line split across reads (at most maxLineLen bytes)
}

type parseState uint8

const (
	stStatus     parseState = iota // expecting the status line
	stHeaders                      // inside the header block
	stBody                         // skipping remaining Content-Length bytes
	stChunkSize                    // expecting a chunk-size line
	stChunkData                    // skipping remaining chunk bytes and their CRLF
	stTrailers                     // after the last chunk, until the empty line
	stUntilClose                   // no length: the body ends when the server closes
)

// maxLineLen bounds a status, header or chunk-size line.
const maxLineLen = 8 << 10

var (
	errBadResponse = errors.New("malformed HTTP response")
	errLineTooLong = fmt.Errorf("%w: a header line is longer than 8 KiB", errBadResponse)

	hdrContentLength    = []byte("content-length")
	hdrTransferEncoding = []byte("transfer-encoding")
	hdrConnection       = []byte("connection")
)

// reset prepares the parser for the response to a new request.
func (p *respParser) reset(head bool) {
	*p = respParser{head: head, line: p.line[:0]}
}

// feed consumes bytes of the response from b and reports how many it used and
// whether the response is complete; bytes after a complete response are left
// unconsumed.
func (p *respParser) feed(b []byte) (n int, done bool, err error) {
	for n < len(b) {
		switch p.state {
		case stBody, stChunkData:
			k := min(int64(len(b)-n), p.remaining)
			n += int(k)
			p.remaining -= k
			if p.remaining > 0 {
				return n, false, nil
			}
			if p.state == stBody {
				return n, true, nil
			}
			p.state = stChunkSize
			continue
		case stUntilClose:
			return len(b), false, nil
		}
		line, used, err := p.nextLine(b[n:])
		n += used
		if err != nil || line == nil {
			return n, false, err
		}
		if done, err := p.onLine(line); err != nil || done {
			return n, done, err
		}
	}
	return n, false, nil
}

// eof reports whether the server closing the connection now completes the
// response (a body without length) or is an error.
func (p *respParser) eof() (done bool, err error) {
	if p.state == stUntilClose {
		p.closeConn = true
		return true, nil
	}
	return false, io.ErrUnexpectedEOF
}

// nextLine returns the next complete line including its "\n" (nil when b
// ends inside a line, which is kept for the next call) and the bytes used.
func (p *respParser) nextLine(b []byte) (line []byte, used int, err error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(p.line)+len(b) > maxLineLen {
			return nil, len(b), errLineTooLong
		}
		p.line = append(p.line, b...)
		return nil, len(b), nil
	}
	line = b[:i+1]
	if len(p.line) > 0 {
		p.line = append(p.line, line...)
		line = p.line
		p.line = p.line[:0] // line stays valid until the next append
	}
	if len(line) > maxLineLen {
		return nil, i + 1, errLineTooLong
	}
	return line, i + 1, nil
}

// onLine interprets one line in the current state.
func (p *respParser) onLine(line []byte) (done bool, err error) {
	switch p.state {
	case stStatus:
		if p.status, err = parseStatusLine(line); err != nil {
			return false, err
		}
		p.state, p.length, p.chunked, p.closeConn = stHeaders, -1, false, false
		return false, nil
	case stHeaders:
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return p.endOfHeaders(), nil
		}
		return false, p.header(line)
	case stChunkSize:
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions
		}
		size, ok := parseUint(bytes.TrimSpace(line), 16)
		if !ok {
			return false, fmt.Errorf("%w: chunk size %q", errBadResponse, line)
		}
		if size == 0 {
			p.state = stTrailers
			return false, nil
		}
		p.state, p.remaining = stChunkData, size+2
		return false, nil
	default: // stTrailers
		return len(bytes.TrimRight(line, "\r\n")) == 0, nil
	}
}

func (p *respParser) header(line []byte) error {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return errBadResponse
	}
	name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
	switch {
	case bytes.EqualFold(name, hdrContentLength):
		n, ok := parseUint(value, 10)
		if !ok {
			return fmt.Errorf("%w: Content-Length %q", errBadResponse, value)
		}
		p.length = n
	case bytes.EqualFold(name, hdrTransferEncoding):
		// "chunked" is always the last coding ("gzip, chunked").
		p.chunked = len(value) >= 7 && bytes.EqualFold(value[len(value)-7:], []byte("chunked"))
	case bytes.EqualFold(name, hdrConnection):
		p.closeConn = bytes.EqualFold(value, []byte("close"))
	}
	return nil
}

// endOfHeaders decides how the body is delimited and reports whether the
// response is already complete.
func (p *respParser) endOfHeaders() bool {
	switch {
	case p.status >= 100 && p.status < 200:
		p.state = stStatus // 100 Continue and friends precede the real response
		return false
	case p.head || p.status == 204 || p.status == 304:
		return true
	case p.chunked:
		p.state = stChunkSize
		return false
	case p.length == 0:
		return true
	case p.length > 0:
		p.state, p.remaining = stBody, p.length
		return false
	default:
		p.state = stUntilClose
		return false
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
