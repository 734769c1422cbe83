package loadgen

import (
	"bytes"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// sinkConn is a connection that takes every write and has no deadlines.
type sinkConn struct{ net.Conn }

func (sinkConn) Write(p []byte) (int, error)      { return len(p), nil }
func (sinkConn) SetWriteDeadline(time.Time) error { return nil }
func (sinkConn) SetReadDeadline(time.Time) error  { return nil }
func (sinkConn) SetDeadline(time.Time) error      { return nil }

// chatPair makes a caller (account 0) and a callee (account 1), held for
// an hour, joined in one conversation, without a network or a run.
func chatPair(t *testing.T, io string) (h *chatHub, caller, callee *session) {
	t.Helper()
	cfg := baseConfig("127.0.0.1:1")
	if io != "" {
		cfg.IO, cfg.Loops = io, 0
	}
	cfg.Concurrency, cfg.Logins, cfg.Hold, cfg.ChatEvery = 2, 2, time.Hour, time.Second
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.p.start = time.Now()
	e.p.rec = report.NewRecorder(1, time.Hour)
	h = e.p.chat
	a, b := e.newSession(0), e.newSession(0)
	a.acct, b.acct = 0, 1
	a.hs.end, b.hs.end = time.Now().Add(time.Hour), time.Now().Add(time.Hour)
	h.holdEnd[1].Store(int64(time.Hour))
	caller, callee = newSBSession(a, true), newSBSession(b, false)
	caller.sb.peer, callee.sb.peer = 1, 0
	caller.sb.conv = h.open(0, 1, e.p.now())
	callee.sb.conv = h.join(0, 1)
	caller.sb.joined = true
	return h, caller, callee
}

// TestChatAllocs: the per-message path allocates nothing: the caller
// writes MSG A, the callee takes the relayed MSG (msg.deliver, counted
// new), the caller takes its ACK (msg.ack).
func TestChatAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation test")
	}
	h, caller, callee := chatPair(t, "")
	cv := caller.sb.conv
	var c net.Conn = sinkConn{}

	var relay, ack []byte
	var relayR, ackR bytes.Reader
	relayRd := msnp.NewReader(&relayR, msnp.FromServer, holdBufSize)
	ackRd := msnp.NewReader(&ackR, msnp.FromServer, holdBufSize)
	step := func() {
		if err := caller.sendMsg(c, time.Now()); err != nil {
			t.Fatal(err)
		}
		// The server's relay of it to the callee, and its ACK.
		w := caller.wbuf
		pl := w[bytes.IndexByte(w, '\n')+1:]
		relay = strconv.AppendInt(append(relay[:0], "MSG user0@example.com user0 "...), int64(len(pl)), 10)
		relay = append(append(relay, "\r\n"...), pl...)
		relayR.Reset(relay)
		relayRd.Reset(&relayR)
		cmd, err := relayRd.Next()
		if err != nil {
			t.Fatal(err)
		}
		if err := callee.sbCommand(cmd); err != nil {
			t.Fatal(err)
		}
		ack = msnp.AppendACK(ack[:0], caller.sb.msgTrID)
		ackR.Reset(ack)
		ackRd.Reset(&ackR)
		if cmd, err = ackRd.Next(); err != nil {
			t.Fatal(err)
		}
		if err := caller.sbCommand(cmd); err != nil {
			t.Fatal(err)
		}
	}
	for range 200 {
		step()
	}
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Fatalf("%v allocations per message, want 0", allocs)
	}
	n := int64(caller.sb.seq)
	if h.sent.Load() != n || h.acked.Load() != n || h.delivered.Load() != n || h.dup.Load() != 0 ||
		h.reordered.Load() != 0 {
		t.Fatalf("after %d messages: sent %d acked %d delivered %d dup %d reordered %d", n, h.sent.Load(),
			h.acked.Load(), h.delivered.Load(), h.dup.Load(), h.reordered.Load())
	}
	h.leave(cv, true)
	h.leave(cv, false)
	if h.lost.Load() != 0 || h.expected.Load() != n {
		t.Fatalf("lost %d expected %d, want 0 and %d", h.lost.Load(), h.expected.Load(), n)
	}
}

// TestChatArrived: the callee's window tells new, duplicated and reordered
// messages apart.
func TestChatArrived(t *testing.T) {
	h := &chatHub{}
	cv := &conv{}
	for _, seq := range []uint64{1, 2, 4, 3, 3, 5, 1, 100, 30} {
		h.arrived(cv, seq, true)
	}
	// new: 1 2 4 3 5 100 (3 after 4 and 30 after 100 reordered: 30 is out of the window, not delivered)
	if cv.delivered != 6 || h.dup.Load() != 2 || h.reordered.Load() != 2 {
		t.Errorf("delivered %d dup %d reordered %d, want 6, 2, 2", cv.delivered, h.dup.Load(), h.reordered.Load())
	}
}
