package msnp

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// render turns a command into a stable one-line description for comparison.
func render(c *Command, err error) string {
	var b strings.Builder
	b.Write(c.Name)
	if c.HasTrID {
		b.WriteString(" t=" + strconv.FormatUint(uint64(c.TrID), 10))
	}
	b.WriteString(" [")
	for i, a := range c.Args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.Write(a)
	}
	b.WriteByte(']')
	if c.Payload != nil {
		b.WriteString(" payload=" + strconv.Itoa(len(c.Payload)))
	}
	if err != nil {
		b.WriteString(" error")
	}
	return b.String()
}

// readAll reads commands until EOF; payloads are checked against the input.
func readAll(t *testing.T, r *Reader) ([]string, error) {
	t.Helper()
	var got []string
	for {
		c, err := r.Next()
		if c == nil {
			if err == io.EOF {
				return got, nil
			}
			return got, err
		}
		var se *ServerError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("command with unexpected error %v", err)
		}
		got = append(got, render(c, err))
	}
}

// splitReader returns its data in two reads, split at n.
type splitReader struct {
	data []byte
	n    int
}

func (s *splitReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	chunk := s.data
	if s.n > 0 && s.n < len(chunk) {
		chunk = chunk[:s.n]
	}
	s.n = 0
	k := copy(p, chunk)
	s.data = s.data[k:]
	return k, nil
}

func TestReaderTranscripts(t *testing.T) {
	tests := []struct {
		name string
		dir  Direction
		in   string
		want []string
	}{
		{"msnp7", FromServer, msnp7Server, msnp7Want},
		{"msnp2", FromServer, msnp2Server, msnp2Want},
		{"variations", FromServer, variations, variationsWant},
		{"client", FromClient, clientStream, clientWant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(t *testing.T, how string, src io.Reader, bufSize int) {
				t.Helper()
				got, err := readAll(t, NewReader(src, tt.dir, bufSize))
				if err != nil {
					t.Fatalf("%s: error %v after %d commands", how, err, len(got))
				}
				if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
					t.Fatalf("%s:\ngot:\n%s\nwant:\n%s", how, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
				}
			}
			check(t, "whole", strings.NewReader(tt.in), 0)
			check(t, "one byte at a time", iotest.OneByteReader(strings.NewReader(tt.in)), 0)
			check(t, "small buffer", iotest.HalfReader(strings.NewReader(tt.in)), 128)
			for i := 1; i < len(tt.in); i++ {
				check(t, "split at "+strconv.Itoa(i), &splitReader{data: []byte(tt.in), n: i}, 0)
			}
		})
	}
}

func TestReaderPayloadContent(t *testing.T) {
	r := NewReader(strings.NewReader(clientStream), FromClient, 64)
	for {
		c, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if c.Is("QRY") {
			if got, want := string(c.Payload), "8f2f5a91b72102cd28355e9fc9000d6e"; got != want {
				t.Fatalf("payload %q, want %q", got, want)
			}
			if got := string(c.Line); got != "QRY 7 msmsgs@msnmsgr.com 32" {
				t.Fatalf("line %q after payload read", got)
			}
			break
		}
	}
	c, err := r.Next()
	if err != nil || !c.Is("PNG") {
		t.Fatalf("after payload: %v %v", c, err)
	}
}

// A payload larger than the buffer grows it once and is returned whole.
func TestReaderLargePayload(t *testing.T) {
	body := strings.Repeat("x", 5000)
	in := "MSG Hotmail Hotmail 5000\r\n" + body + "QNG\r\n"
	r := NewReader(iotest.HalfReader(strings.NewReader(in)), FromServer, 256)
	c, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Payload) != body || string(c.Line) != "MSG Hotmail Hotmail 5000" || string(c.Arg(2)) != "5000" {
		t.Fatalf("got line %q payload %d bytes", c.Line, len(c.Payload))
	}
	if c, err = r.Next(); err != nil || !c.Is("QNG") {
		t.Fatalf("next: %v", err)
	}
}

// The caps are told apart from other violations by errors.Is, while the
// error stays a *ProtocolError of class protocol.
func TestReaderLimitErrors(t *testing.T) {
	tests := []struct {
		in    string
		limit error
	}{
		{"VER 1 " + strings.Repeat("A", 300) + "\r\n", ErrLineTooLong},
		{strings.Repeat("B", 1000), ErrLineTooLong},
		{"MSG Hotmail Hotmail 5000\r\n", ErrPayloadTooLarge},
		{"VER x MSNP7\r\n", nil},
	}
	for _, tt := range tests {
		r := NewReader(strings.NewReader(tt.in), FromServer, 256)
		r.SetLimits(200, 1024)
		_, err := r.Next()
		var pe *ProtocolError
		if !errors.As(err, &pe) {
			t.Fatalf("%.20q: %v is not a *ProtocolError", tt.in, err)
		}
		for _, sentinel := range []error{ErrLineTooLong, ErrPayloadTooLarge} {
			if got, want := errors.Is(err, sentinel), sentinel == tt.limit; got != want {
				t.Errorf("%.20q: errors.Is(%v, %v) = %v", tt.in, err, sentinel, got)
			}
		}
		if c, _ := Classify(err); c != ClassProtocol {
			t.Errorf("%.20q: class %v", tt.in, c)
		}
	}
}

func TestReaderServerError(t *testing.T) {
	r := NewReader(strings.NewReader("911 8\r\n500\r\n"), FromServer, 0)
	_, err := r.Next()
	var se *ServerError
	if !errors.As(err, &se) || se.Code != 911 || se.TrID != 8 || !se.HasTrID {
		t.Fatalf("got %#v", err)
	}
	if c, _ := Classify(err); c != ClassAuthFail {
		t.Fatalf("class %v", c)
	}
	_, err = r.Next()
	if !errors.As(err, &se) || se.Code != 500 || se.HasTrID {
		t.Fatalf("got %#v", err)
	}
}

func TestReaderManyArgs(t *testing.T) {
	in := "ZZZ 1" + strings.Repeat(" a", MaxArgs+5) + " last\r\n"
	c, err := NewReader(strings.NewReader(in), FromServer, 0).Next()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Args) != MaxArgs || c.NArgs != MaxArgs+6 || string(c.Last) != "last" {
		t.Fatalf("args %d nargs %d last %q", len(c.Args), c.NArgs, c.Last)
	}
}

// Inputs that must fail, each with the kind of error it must give.
func TestReaderMustFail(t *testing.T) {
	long := "VER 1 " + strings.Repeat("A", 300) + "\r\n"
	tests := []struct {
		name string
		dir  Direction
		in   string
		want string // "protocol", "unexpected-eof"
	}{
		{"line too long", FromServer, long, "protocol"},
		{"line never ends", FromServer, strings.Repeat("B", 1000), "protocol"},
		{"unterminated at eof", FromServer, "VER 1 MSNP7", "unexpected-eof"},
		{"negative length", FromServer, "MSG Hotmail Hotmail -5\r\nhello", "protocol"},
		{"non-numeric length", FromServer, "MSG Hotmail Hotmail abc\r\n", "protocol"},
		{"huge length", FromServer, "MSG Hotmail Hotmail 999999999\r\n", "protocol"},
		{"length too long", FromServer, "NOT 100\r\nshort", "unexpected-eof"},
		{"payload without length", FromServer, "MSG\r\n", "protocol"},
		{"non-numeric TrID", FromServer, "VER x MSNP7\r\n", "protocol"},
		{"TrID over 2^32", FromServer, "USR 4294967296 OK a b\r\n", "protocol"},
		{"missing TrID", FromClient, "VER\r\n", "protocol"},
		{"client non-numeric TrID", FromClient, "VER MSNP8 CVR0\r\n", "protocol"},
		{"garbage", FromServer, "\x00\x01\x02\xff\r\n", "protocol"},
		{"long command", FromServer, "HELLO world\r\n", "protocol"},
		{"short command", FromServer, "OK\r\n", "protocol"},
		{"client huge QRY", FromClient, "QRY 1 x 70000\r\n", "protocol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.in), tt.dir, 256)
			r.SetLimits(200, 1024)
			var err error
			for i := 0; i < 10 && err == nil; i++ {
				_, err = r.Next()
			}
			var pe *ProtocolError
			switch tt.want {
			case "protocol":
				if !errors.As(err, &pe) {
					t.Fatalf("got %v, want a ProtocolError", err)
				}
				if c, _ := Classify(err); c != ClassProtocol {
					t.Fatalf("class %v", c)
				}
			case "unexpected-eof":
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
				}
				if c, _ := Classify(err); c != ClassEOF {
					t.Fatalf("class %v", c)
				}
			}
		})
	}
}

// A reader that returns (0, nil) forever must not spin.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestReaderNoProgress(t *testing.T) {
	_, err := NewReader(zeroReader{}, FromServer, 0).Next()
	if !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("got %v", err)
	}
	_, err = NewReader(io.MultiReader(strings.NewReader("NOT 5\r\nab"), zeroReader{}), FromServer, 0).Next()
	if !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("payload: got %v", err)
	}
}

func TestReaderReset(t *testing.T) {
	r := NewReader(strings.NewReader("VER 1 MSNP7\r\npartial"), FromServer, 0)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	r.Reset(strings.NewReader("QNG\r\n"))
	c, err := r.Next()
	if err != nil || !c.Is("QNG") || r.Buffered() != 0 {
		t.Fatalf("after reset: %v %v", c, err)
	}
}

// Reading a whole login transcript allocates nothing (DESIGN.md §8).
func TestReaderAllocs(t *testing.T) {
	for _, tt := range []struct {
		name string
		dir  Direction
		in   string
	}{{"msnp7", FromServer, msnp7Server}, {"client", FromClient, clientStream}} {
		data := []byte(tt.in)
		src := bytes.NewReader(data)
		r := NewReader(src, tt.dir, 0)
		allocs := testing.AllocsPerRun(100, func() {
			src.Reset(data)
			r.Reset(src)
			for {
				if _, err := r.Next(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per transcript, want 0", tt.name, allocs)
		}
	}
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{msnp7Server, msnp2Server, variations, clientStream, "MSG a b 3\r\nxyz", "QRY 1 a 2\r\nab"} {
		f.Add([]byte(s), uint8(0), uint16(64))
		f.Add([]byte(s), uint8(1), uint16(17))
	}
	f.Fuzz(func(t *testing.T, data []byte, dir uint8, size uint16) {
		bufSize := int(size%4096) + 16
		r := NewReader(iotest.HalfReader(bytes.NewReader(data)), Direction(dir%2), bufSize)
		r.SetLimits(bufSize, 2048)
		for i := 0; i <= len(data); i++ { // every command consumes at least one byte
			c, err := r.Next()
			if len(r.buf) > bufSize+2048+bufSize {
				t.Fatalf("buffer grew to %d", len(r.buf))
			}
			if c == nil {
				if err == nil {
					t.Fatal("nil command without error")
				}
				return
			}
			if len(c.Name) != 3 || len(c.Args) > MaxArgs || len(c.Line) > bufSize {
				t.Fatalf("bad command %q", c.Line)
			}
		}
		t.Fatal("reader did not finish")
	})
}

// stepSource returns its chunks one per Read, an error where a chunk is nil.
type stepSource struct {
	chunks [][]byte
	err    error
}

func (s *stepSource) Read(p []byte) (int, error) {
	if len(s.chunks) == 0 {
		return 0, io.EOF
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	if c == nil {
		return 0, s.err
	}
	return copy(p, c), nil
}

// TestReaderResume: after an error of its source that only ended a wait
// (a timer), Resume reads on; a payload command cut by it is read whole.
func TestReaderResume(t *testing.T) {
	timer := errors.New("timer")
	for _, chunks := range [][][]byte{
		{[]byte("MSG a b 10\r\nhel"), nil, []byte("lo12345"), []byte("ACK 3\r\n")},
		{[]byte("MS"), nil, []byte("G a b 10\r\nhello12345ACK 3\r\n")},
		{[]byte("MSG a b 10\r\nhello12345"), nil, []byte("ACK 3\r\n")},
	} {
		rd := NewReader(&stepSource{chunks: chunks, err: timer}, FromServer, 64)
		var got []string
		for range 4 {
			cmd, err := rd.Next()
			if errors.Is(err, timer) {
				rd.Resume()
				continue
			}
			if err != nil {
				break
			}
			got = append(got, string(cmd.Name)+" "+string(cmd.Payload))
		}
		if want := []string{"MSG hello12345", "ACK "}; !slices.Equal(got, want) {
			t.Errorf("chunks %q: got %q, want %q", chunks, got, want)
		}
	}
}
