package msnp

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
)

// naiveRead is the obvious implementation the Reader is measured against:
// bufio + strings.Fields + strconv, allocating per line.
func naiveRead(br *bufio.Reader, payload map[string]bool) (int, error) {
	n := 0
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		f := strings.Fields(strings.TrimRight(line, "\r\n"))
		if len(f) == 0 {
			continue
		}
		n++
		if payload[f[0]] {
			size, err := strconv.Atoi(f[len(f)-1])
			if err != nil {
				return n, err
			}
			if _, err := io.ReadFull(br, make([]byte, size)); err != nil {
				return n, err
			}
		}
	}
}

func BenchmarkReader(b *testing.B) {
	for _, tt := range []struct {
		name string
		dir  Direction
		in   string
	}{{"msnp7-login", FromServer, msnp7Server}, {"client", FromClient, clientStream}} {
		data := []byte(tt.in)
		b.Run(tt.name+"/msnp", func(b *testing.B) {
			src := bytes.NewReader(data)
			r := NewReader(src, tt.dir, 0)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				src.Reset(data)
				r.Reset(src)
				for {
					if _, err := r.Next(); err == io.EOF {
						break
					}
				}
			}
		})
		b.Run(tt.name+"/naive", func(b *testing.B) {
			payload := map[string]bool{"MSG": true, "NOT": true, "IPG": true}
			if tt.dir == FromClient {
				payload = map[string]bool{"MSG": true, "QRY": true, "SDC": true, "PAG": true}
			}
			src := bytes.NewReader(data)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				src.Reset(data)
				if _, err := naiveRead(bufio.NewReader(src), payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLoginHash(b *testing.B) {
	chal, pw := []byte("1013928519.693957190"), []byte("password")
	b.Run("msnp", func(b *testing.B) {
		var d [32]byte
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			LoginHash(&d, chal, pw)
		}
	})
	b.Run("naive", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sum := md5.Sum([]byte(string(chal) + string(pw)))
			_ = hex.EncodeToString(sum[:])
		}
	})
}

// BenchmarkClientCommands builds every command of a client login.
func BenchmarkClientCommands(b *testing.B) {
	list, handle, status := []byte("MSNP7 MSNP6 MSNP5 MSNP4 CVR0"), []byte("user1234@example.com"), []byte("NLN")
	var h [32]byte
	b.Run("msnp", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			p := AppendVER(buf[:0], 1, list)
			p = AppendINF(p, 2)
			p = AppendUSRI(p, 3, handle)
			p = AppendUSRS(p, 4, &h)
			p = AppendSYN(p, 5, 0)
			p = AppendCHG(p, 6, status)
			_ = AppendOUT(p, "")
		}
	})
	b.Run("naive", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var sb strings.Builder
			fmt.Fprintf(&sb, "VER %d %s\r\n", 1, list)
			fmt.Fprintf(&sb, "INF %d\r\n", 2)
			fmt.Fprintf(&sb, "USR %d MD5 I %s\r\n", 3, handle)
			fmt.Fprintf(&sb, "USR %d MD5 S %s\r\n", 4, h[:])
			fmt.Fprintf(&sb, "SYN %d %d\r\n", 5, 0)
			fmt.Fprintf(&sb, "CHG %d %s\r\n", 6, status)
			sb.WriteString("OUT\r\n")
			_ = sb.String()
		}
	})
}
