package loadgen_test

// FuzzHostileTranscript: a notification server (no dispatch tier) that,
// once the client has sent its VER, sends the fuzz input as everything it
// will ever say and closes its side. Whatever the bytes, one login must end
// in exactly one classified result: success, or a failure with a known
// phase and a class other than "other", never a panic or a hang.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// validTranscript is a complete MSNP7 login as the engine's requests
// expect it (TrIDs 1..6: VER, INF, USR I, USR S, SYN, CHG).
const validTranscript = "VER 1 MSNP7\r\nINF 2 MD5\r\nUSR 3 MD5 S 1013928519.693957190\r\n" +
	"USR 4 OK user0@example.com user0@example.com 1\r\n" +
	"MSG Hotmail Hotmail 21\r\nMIME-Version: 1.0\r\n\r\n" + // 21 payload bytes
	"SYN 5 1\r\nGTC 5 1 A\r\nBLP 5 1 AL\r\nLST 5 RL 1 1 1 bob@example.com Bob\r\n" +
	"CHG 6 NLN\r\nILN 6 NLN bob@example.com Bob\r\n"

func FuzzHostileTranscript(f *testing.F) {
	for _, seed := range []string{
		validTranscript,
		"",
		"VER 1 0\r\n",
		"VER 1 MSNP7\r\nINF 2 MD5\r\n911 3\r\n",
		"VER 1 MSNP7\r\nNOT 99999999\r\n",
		"VER 1 MSNP7\r\nMSG a b -1\r\n",
		"VER 1 MSNP7\r\nOUT OTH\r\n",
		"VER 1 MSNP7\r\nINF 2 MD5\r\nUSR 3 MD5 S x\r\nUSR 4 OK a b\r\nSYN 5 0\r\nCHG 6 NLN 0\r\nCHL 0 123\r\n",
		"\x00\x01\x02\r\n",
		"VER 1 MSNP7\nINF 2 MD5\nUSR 3 MD5 S c\nUSR 4 OK a b 1\nSYN 5 1\nLST 5 RL 1 2 2 a b\nCHG 6 NLN\n",
		"VER 1 MSNP7\r\n" + string(bytes.Repeat([]byte("A"), 9000)),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Contains(data, []byte("XFR")) {
			// A referral would make the client dial whatever address the
			// input names; tests only ever talk to loopback.
			t.Skip()
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EADDRNOTAVAIL) {
			// Long fuzzing runs use up loopback ports (TIME_WAIT): the
			// machine's limit, not the client's.
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		defer wg.Wait()
		defer ln.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			// Wait for the VER line, say everything at once, then close
			// our side and drain until the client goes.
			_ = c.SetDeadline(time.Now().Add(runBound))
			buf := make([]byte, 512)
			for got := 0; !bytes.Contains(buf[:got], []byte("\n")); {
				n, err := c.Read(buf[got:])
				if err != nil || got+n == len(buf) {
					return
				}
				got += n
			}
			_, _ = c.Write(data)
			_ = c.(*net.TCPConn).CloseWrite()
			_, _ = io.Copy(io.Discard, c)
		}()

		e, err := loadgen.New(loadgen.Config{
			Target:      ln.Addr().String(),
			Concurrency: 1,
			Logins:      1,
			Steps:       []loadgen.Step{loadgen.StepSyn, loadgen.StepChg},
			UserPattern: "user%d@example.com",
			Accounts:    1,
			Password:    "password",
			Timeout:     longTimeout, // the server closes its side: nothing should ever wait this long
			Interval:    time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), runBound)
		defer cancel()
		run, err := e.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ctx.Err() != nil {
			t.Fatalf("the run needed the guard context to end")
		}
		checkBooks(t, run, 1)
		for _, ec := range run.Errors {
			if _, ok := report.ParsePhase(ec.Phase); !ok {
				t.Errorf("failure in unknown phase %q", ec.Phase)
			}
			cl := msnp.ParseClass(ec.Class)
			if cl == msnp.ClassNoPort {
				t.Skip("out of loopback ports") // see above
			}
			if cl == msnp.ClassOther || cl == msnp.ClassNone || cl == msnp.ClassTimeout {
				t.Errorf("failure classified as %s/%s (code %d) for server bytes %q (%d bytes)", ec.Phase, ec.Class,
					ec.Code, data[:min(len(data), 120)], len(data))
			}
		}
	})
}

// TestValidTranscriptLogsIn pins the fuzz target's main seed: if the
// engine's request order or TrIDs change, the seed stops being a success
// and the fuzzer loses its best starting point.
func TestValidTranscriptLogsIn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 512)
		if _, err := c.Read(buf); err != nil {
			return
		}
		_, _ = c.Write([]byte(validTranscript))
		_, _ = io.Copy(io.Discard, c)
	}()
	e, err := loadgen.New(loadgen.Config{Target: ln.Addr().String(), Concurrency: 1, Logins: 1,
		Steps: []loadgen.Step{loadgen.StepSyn, loadgen.StepChg}, UserPattern: "user%d@example.com", Accounts: 1,
		Password: "password", Timeout: longTimeout})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if run.Counts.OK != 1 {
		t.Fatalf("the valid transcript did not log in: %+v", run.Errors)
	}
}
