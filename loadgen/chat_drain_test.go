package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"
)

// TestDrainSBLateStop: a callee's switchboard that has begun its drain
// (its own hold end came first) still reads the messages the server
// relayed before its OUT when its owner's stopSB comes only then. The
// late stopSB used to set the read deadline into the past, the drain read
// timed out at once, and a message the sender had its ACK for was counted
// lost (TestE2EChat, about 1 run in 40 on the event loop).
func TestDrainSBLateStop(t *testing.T) {
	h, caller, callee := chatPair(t, IONet)

	// The message the server will relay: the caller's MSG A, as sent.
	if err := caller.sendMsg(sinkConn{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	w := caller.wbuf
	pl := w[bytes.IndexByte(w, '\n')+1:]
	relay := strconv.AppendInt([]byte("MSG user0@example.com user0 "), int64(len(pl)), 10)
	relay = append(append(relay, "\r\n"...), pl...)

	srv, cli := net.Pipe()
	defer srv.Close()
	callee.setConn(cli)
	callee.src.set(cli)
	callee.rd.Reset(&callee.src)
	callee.holding.Store(true)
	callee.endHolding() // as runSB does once its loop is over

	drained := make(chan struct{})
	go func() {
		defer close(drained)
		callee.drainSB(cli)
	}()
	// The drain has begun when its OUT arrives; only then the owner's
	// stopSB, then the relayed message and the server's close.
	line, err := bufio.NewReader(srv).ReadString('\n')
	if err != nil || line != "OUT\r\n" {
		t.Fatalf("read %q, %v; want the drain's OUT", line, err)
	}
	callee.stopSB()
	if _, err := srv.Write(relay); err != nil {
		t.Fatalf("relay: %v (the drain stopped reading)", err)
	}
	srv.Close()
	<-drained
	if got := h.delivered.Load(); got != 1 {
		t.Fatalf("%d messages delivered, want the one relayed before the OUT", got)
	}
}

// TestSBTickStopWhileAcked: the end of the run (stopHold) while a message
// waits for its ACK: the caller goes on waiting for the ACK (up to its
// timeout) instead of calling itself again and again until its stack
// overflowed (a Ctrl-C of a chatting run crashed the generator).
func TestSBTickStopWhileAcked(t *testing.T) {
	_, caller, _ := chatPair(t, IONet)
	caller.setConn(sinkConn{})
	if err := caller.sendMsg(sinkConn{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	caller.p.stopHold.Store(true)
	if err := caller.sbTick(); err != nil {
		t.Fatalf("sbTick with a message waiting for its ACK: %v, want nil (the ACK is waited for)", err)
	}
	if !caller.sb.ending {
		t.Error("not ending after the end of the run")
	}
	caller.sb.msgTrID = 0 // the ACK came
	if err := caller.sbTick(); !errors.Is(err, errHoldDone) {
		t.Errorf("sbTick after the ACK: %v, want errHoldDone", err)
	}
}
