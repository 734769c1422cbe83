package msnp

import (
	"errors"
	"io"
	"strconv"
)

// Direction says whose commands a Reader parses. It decides which commands
// carry a payload and which carry no TrID (MSNP.md §1.3, §1.4).
type Direction uint8

const (
	// FromServer parses what a server sends: the client's side.
	FromServer Direction = iota
	// FromClient parses what a client sends: the server's side.
	FromClient
)

// MaxArgs is the number of parameters a Command keeps; further ones are
// counted in NArgs but not kept (the last one is always kept in Last).
const MaxArgs = 16

// Defaults for NewReader.
const (
	DefaultBufSize    = 8192
	DefaultMaxLine    = 8192
	DefaultMaxPayload = 64 << 10
)

// Command is one parsed command. Every slice is a view into the Reader's
// buffer and stays valid only until the next call to Next.
type Command struct {
	// Name is the three-byte command type: letters, or digits for an error.
	Name []byte
	// Code is the numeric error code when Name is three digits (FromServer).
	Code int
	// TrID is the transaction ID; HasTrID is false for commands without one.
	TrID    uint32
	HasTrID bool
	// Args are the parameters after the TrID (or after Name when there is no
	// TrID), at most MaxArgs of them; NArgs counts all of them.
	Args  [][]byte
	NArgs int
	// Last is the last parameter, kept even when there are more than MaxArgs.
	Last []byte
	// Payload is the body of a payload command (nil otherwise).
	Payload []byte
	// Line is the whole command line without its terminator.
	Line []byte

	argv [MaxArgs][]byte
}

// Is reports whether the command's type is name (exact, case-sensitive).
func (c *Command) Is(name string) bool { return string(c.Name) == name }

// IsError reports whether the command is a numeric error reply.
func (c *Command) IsError() bool { return len(c.Name) == 3 && isDigit(c.Name[0]) }

// Arg returns parameter i, or nil if there is no such parameter.
func (c *Command) Arg(i int) []byte {
	if i < len(c.Args) {
		return c.Args[i]
	}
	return nil
}

// Reader reads commands from a connection through one fixed buffer: lines
// end in LF or CRLF, parameters are split on runs of spaces and tabs, payload
// commands are read by their declared byte length. It allocates nothing in
// steady state; a payload larger than the buffer grows it once, up to the
// payload cap.
type Reader struct {
	src        io.Reader
	buf        []byte
	r, w       int // unread data is buf[r:w]
	lineStart  int // offset of the line Next last returned
	dir        Direction
	maxLine    int
	maxPayload int
	cmd        Command
	err        error // sticky read error
}

// NewReader returns a Reader over src with a buffer of bufSize bytes
// (DefaultBufSize if bufSize <= 0), a line cap of the buffer size and a
// payload cap of DefaultMaxPayload.
func NewReader(src io.Reader, dir Direction, bufSize int) *Reader {
	if bufSize <= 0 {
		bufSize = DefaultBufSize
	}
	return &Reader{src: src, buf: make([]byte, bufSize), dir: dir, maxLine: bufSize, maxPayload: DefaultMaxPayload}
}

// SetLimits sets the longest accepted line (terminator excluded) and the
// largest accepted payload. A line cap above the buffer size is lowered to it.
func (r *Reader) SetLimits(maxLine, maxPayload int) {
	if maxLine <= 0 || maxLine > len(r.buf) {
		maxLine = len(r.buf)
	}
	r.maxLine = maxLine
	if maxPayload >= 0 {
		r.maxPayload = maxPayload
	}
}

// Reset discards buffered data and reads from src from now on, keeping the
// buffer and the limits, so one Reader serves many connections.
func (r *Reader) Reset(src io.Reader) {
	r.src = src
	r.r, r.w = 0, 0
	r.err = nil
}

// Buffered returns the number of bytes read from the source but not yet
// returned as a command.
func (r *Reader) Buffered() int { return r.w - r.r }

// Next reads the next command. The returned Command is valid until the next
// call. A numeric error reply from a server is returned as the command and a
// *ServerError; malformed input is a *ProtocolError; a peer that closes
// between commands gives io.EOF, and mid-command io.ErrUnexpectedEOF.
func (r *Reader) Next() (*Command, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return nil, err
		}
		empty := true
		for _, b := range line {
			if b != ' ' && b != '\t' && b != '\r' {
				empty = false
				break
			}
		}
		if empty {
			continue // tolerate blank lines (keep-alive newlines from some peers)
		}
		c := &r.cmd
		if err := r.parse(c, line); err != nil {
			return nil, err
		}
		if isPayloadCommand(r.dir, c.Name) {
			if err := r.readPayload(c); err != nil {
				return nil, err
			}
		} else {
			c.Payload = nil
		}
		if c.Code != 0 || (c.IsError() && r.dir == FromServer) {
			return c, &ServerError{Code: c.Code, TrID: c.TrID, HasTrID: c.HasTrID}
		}
		return c, nil
	}
}

// readLine returns the next line without its terminator (LF, or CRLF). A
// lone CR stays part of the line (MSNP.md §1.2).
func (r *Reader) readLine() ([]byte, error) {
	scanned := r.r
	for {
		for i := scanned; i < r.w; i++ {
			if r.buf[i] == '\n' {
				line := r.buf[r.r:i]
				r.lineStart = r.r
				r.r = i + 1
				if n := len(line); n > 0 && line[n-1] == '\r' {
					line = line[:n-1]
				}
				if len(line) > r.maxLine {
					return nil, newLimitError(ErrLineTooLong, "line longer than "+strconv.Itoa(r.maxLine)+" bytes")
				}
				return line, nil
			}
		}
		if r.w-r.r > r.maxLine {
			return nil, newLimitError(ErrLineTooLong, "line longer than "+strconv.Itoa(r.maxLine)+" bytes")
		}
		scanned = r.w - r.r
		if err := r.fill(); err != nil {
			if err == io.EOF && r.w > r.r {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		scanned += r.r
	}
}

// Resume forgets the error the source last returned, so that Next reads on
// from where it was: for a source whose error ended a wait, not the stream
// (a timer that fired). A command that error cut short is read again whole.
func (r *Reader) Resume() { r.err = nil }

// fill moves unread data to the front and reads at least one more byte.
func (r *Reader) fill() error {
	if r.err != nil {
		return r.err
	}
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	if r.w == len(r.buf) {
		return newLimitError(ErrLineTooLong, "line longer than "+strconv.Itoa(r.maxLine)+" bytes")
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.err = err
			if n > 0 {
				return nil
			}
			return err
		}
		if n > 0 {
			return nil
		}
	}
	r.err = io.ErrNoProgress
	return r.err
}

func (r *Reader) parse(c *Command, line []byte) error {
	c.Line = line
	c.Code, c.TrID, c.HasTrID, c.NArgs, c.Last = 0, 0, false, 0, nil
	i := skipSpace(line, 0)
	j := tokenEnd(line, i)
	name := line[i:j]
	if len(name) != 3 || !isAlnum(name[0]) || !isAlnum(name[1]) || !isAlnum(name[2]) {
		return NewProtocolError("malformed command " + quotePrefix(line))
	}
	c.Name = name
	digits := isDigit(name[0]) && isDigit(name[1]) && isDigit(name[2])
	if digits && r.dir == FromServer {
		c.Code = int(name[0]-'0')*100 + int(name[1]-'0')*10 + int(name[2]-'0')
	}
	n := 0
	first := true
	wantTrID := hasTrID(r.dir, name, digits)
	for i = skipSpace(line, j); i < len(line); i = skipSpace(line, j) {
		j = tokenEnd(line, i)
		tok := line[i:j]
		if first && wantTrID != trIDNever {
			first = false
			if v, ok := parseUint32(tok); ok {
				c.TrID, c.HasTrID = v, true
				continue
			}
			if wantTrID == trIDRequired {
				return NewProtocolError("non-numeric TrID in " + quotePrefix(line))
			}
		}
		first = false
		if n < MaxArgs {
			c.argv[n] = tok
		}
		n++
		c.Last = tok
	}
	if first && wantTrID == trIDRequired {
		return NewProtocolError("missing TrID in " + quotePrefix(line))
	}
	c.NArgs = n
	if n > MaxArgs {
		n = MaxArgs
	}
	c.Args = c.argv[:n]
	return nil
}

func (r *Reader) readPayload(c *Command) error {
	size, ok := parseLength(c.Last)
	if c.NArgs == 0 || !ok {
		return NewProtocolError("bad payload length in " + quotePrefix(c.Line))
	}
	if size > r.maxPayload {
		return newLimitError(ErrPayloadTooLarge, "payload of "+strconv.Itoa(size)+" bytes exceeds the limit of "+
			strconv.Itoa(r.maxPayload))
	}
	if r.r+size > len(r.buf) {
		// Move the line and what follows it to the front, growing the buffer
		// if line and payload together do not fit, then re-point the views.
		start := r.lineStart
		if total := r.r - start + size; total > len(r.buf) {
			nb := make([]byte, total+r.maxLine)
			r.w = copy(nb, r.buf[start:r.w])
			r.buf = nb
		} else {
			r.w = copy(r.buf, r.buf[start:r.w])
		}
		r.r -= start
		r.lineStart = 0
		_ = r.parse(c, r.buf[:len(c.Line)]) // cannot fail: it parsed before
	}
	for r.w-r.r < size {
		if r.err != nil {
			// The command is not taken: after Resume it is read again,
			// line and payload.
			r.r = r.lineStart
			if r.err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return r.err
		}
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.err = err
		} else if n == 0 {
			r.err = io.ErrNoProgress
		}
	}
	c.Payload = r.buf[r.r : r.r+size]
	r.r += size
	return nil
}

type trIDRule uint8

const (
	trIDNever    trIDRule = iota // the command has no TrID
	trIDOptional                 // take the first parameter as TrID if it is a number
	trIDRequired                 // a missing or non-numeric TrID is a protocol violation
)

func hasTrID(dir Direction, name []byte, digits bool) trIDRule {
	if digits {
		return trIDOptional
	}
	switch string(name) {
	case "PNG", "QNG", "OUT":
		return trIDNever
	}
	if dir == FromServer {
		switch string(name) {
		case "NLN", "FLN", "BPR", "MSG", "NOT", "IPG", "RNG", "UBX", "UBN", "UUN":
			return trIDNever
		case "VER", "INF", "USR", "XFR", "SYN", "GTC", "BLP", "PRP", "LSG", "LST", "CHG", "ILN", "CHL", "QRY",
			"ADD", "REM", "REA", "ADG", "RMG", "REG", "CVR", "URL", "SBP":
			return trIDRequired
		}
		return trIDOptional
	}
	return trIDRequired
}

func isPayloadCommand(dir Direction, name []byte) bool {
	switch string(name) {
	case "MSG":
		return true
	case "NOT", "IPG":
		return dir == FromServer
	case "QRY", "SDC", "PAG":
		return dir == FromClient
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

func tokenEnd(b []byte, i int) int {
	for i < len(b) && b[i] != ' ' && b[i] != '\t' {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }

// parseUint32 parses a decimal number from 0 to 2^32-1.
func parseUint32(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > 1<<32-1 {
		return 0, false
	}
	return uint32(v), true
}

// ParseUint32 parses a decimal TrID, list version or similar field.
func ParseUint32(b []byte) (uint32, bool) { return parseUint32(b) }

func parseLength(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// quotePrefix quotes at most 40 bytes of peer input for an error message.
func quotePrefix(b []byte) string {
	if len(b) > 40 {
		return strconv.Quote(string(b[:40])) + "..."
	}
	return strconv.Quote(string(b))
}

// IsEOF reports whether err means the peer closed the connection.
func IsEOF(err error) bool { return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) }
