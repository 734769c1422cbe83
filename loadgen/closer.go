package loadgen

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// closer closes the connections of sessions that have sent OUT, with Go's
// net package: it waits, off the sessions' path, until the server has
// closed each one (MSNP.md §4.7) or its deadline (--timeout after the OUT)
// has passed. The side that closes first keeps the connection in
// TIME_WAIT, and one that closes with the server's reply unread resets it:
// a session is done once its OUT is sent, but its connection is left to
// the server to close. The event loops do the same with CloseAfterPeer.
//
// One goroutine serves the connections in the order of their OUT; their
// deadlines come in the same order, so none waits beyond its own.
type closer struct {
	q    chan lingerConn
	done chan struct{}

	mu    sync.Mutex
	cur   net.Conn // the connection being waited for
	abort atomic.Bool
}

type lingerConn struct {
	c     net.Conn
	until time.Time
}

// closerQueue bounds the connections waiting for their server's close; a
// connection that finds the queue full is closed at once.
const closerQueue = 4096

func newCloser() *closer {
	cl := &closer{q: make(chan lingerConn, closerQueue), done: make(chan struct{})}
	go cl.run()
	return cl
}

func (cl *closer) run() {
	defer close(cl.done)
	buf := make([]byte, 512)
	for lc := range cl.q {
		cl.mu.Lock()
		cl.cur = lc.c
		until := lc.until
		if cl.abort.Load() {
			until = aLongTimeAgo
		}
		_ = lc.c.SetReadDeadline(until)
		cl.mu.Unlock()
		for {
			if _, err := lc.c.Read(buf); err != nil {
				break
			}
		}
		cl.mu.Lock()
		cl.cur = nil
		cl.mu.Unlock()
		_ = lc.c.Close()
	}
}

// add leaves c to be closed when its server closes it or at until. It
// reports false when the queue is full (the caller closes c itself).
func (cl *closer) add(c net.Conn, until time.Time) bool {
	select {
	case cl.q <- lingerConn{c, until}:
		return true
	default:
		return false
	}
}

// closeAll stops waiting: every connection left is closed at once.
func (cl *closer) closeAll() {
	cl.abort.Store(true)
	cl.mu.Lock()
	if cl.cur != nil {
		_ = cl.cur.SetReadDeadline(aLongTimeAgo)
	}
	cl.mu.Unlock()
}

// finish waits until every connection left has been closed: by its
// server, at its deadline, or by closeAll. Nothing may be added after.
func (cl *closer) finish() {
	close(cl.q)
	<-cl.done
}
