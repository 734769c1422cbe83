package hostile

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/msnbench/msnbench/msnp"
)

// SBAction is a misbehaviour of a switchboard (MSNP.md §4.9), played by an
// SBProxy between msnbench's switchboard connections and a correct
// switchboard (the reference server's, with its --sb-public pointing at the
// proxy).
type SBAction uint8

// Switchboard misbehaviours. Each fires once per client connection it
// applies to (Flood: then goes on for ever).
const (
	SBPass           SBAction = iota // relay faithfully
	SBCloseMid                       // a MSG to a client: its line and half its payload, then both ends closed
	SBTruncate                       // a MSG to a client: its payload 10 bytes short, the length unchanged
	SBWrongUser                      // a MSG to a client goes to another client of the proxy instead
	SBNoJOI                          // JOI is never passed on to the caller
	SBUnknownSession                 // the callee's ANS names a session the switchboard does not know
	SBFlood                          // a MSG to a client is then sent again and again, without end
	SBMsgBeforeAnsOK                 // the callee's ANS OK held back until the first MSG to it is through
	SBByeThenNak                     // a caller's MSG A is not relayed: BYE of the other party, then NAK (a race legal clients meet)
)

var sbActionNames = [...]string{"pass", "close-mid-message", "truncated-payload", "wrong-user", "no-joi",
	"unknown-session", "msg-flood", "msg-before-ans-ok", "bye-then-nak"}

// String returns the action's name.
func (a SBAction) String() string {
	if int(a) < len(sbActionNames) {
		return sbActionNames[a]
	}
	return "sb-action-" + strconv.Itoa(int(a))
}

// SBProxy is a misbehaving switchboard: a proxy to a real one. Create it
// with NewSBProxy, give its Addr to the server as the switchboard address
// to hand out, SetUpstream to the server's switchboard, and Close it.
type SBProxy struct {
	ln  net.Listener
	act SBAction

	upMu     sync.Mutex
	upstream string

	fired atomic.Int64
	open  atomic.Int64

	mu      sync.Mutex
	clients map[*sbClient]struct{}
	closed  bool
	wg      sync.WaitGroup
}

type sbClient struct {
	c, up  net.Conn
	wmu    sync.Mutex // writes to c
	fired  bool       // touched by the upstream reader only
	callee bool       // it sent ANS; written and read under SBProxy.mu
	sent   bool       // fromClient only: SBByeThenNak fired on this connection
}

// NewSBProxy listens on a fresh 127.0.0.1 port.
func NewSBProxy(act SBAction) (*SBProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &SBProxy{ln: ln, act: act, clients: map[*sbClient]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's address, for the server to hand out.
func (p *SBProxy) Addr() string { return p.ln.Addr().String() }

// SetUpstream sets the real switchboard's address; connections accepted
// before are closed.
func (p *SBProxy) SetUpstream(addr string) {
	p.upMu.Lock()
	p.upstream = addr
	p.upMu.Unlock()
}

// Fired is how many times the misbehaviour started.
func (p *SBProxy) Fired() int64 { return p.fired.Load() }

// Open is the number of client connections not yet closed.
func (p *SBProxy) Open() int64 { return p.open.Load() }

// Close stops the proxy and closes every connection; it returns when every
// goroutine it started has ended.
func (p *SBProxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for cl := range p.clients {
		cl.c.Close()
		cl.up.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *SBProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.upMu.Lock()
		addr := p.upstream
		p.upMu.Unlock()
		up, err := net.Dial("tcp", addr)
		if err != nil {
			c.Close()
			continue
		}
		cl := &sbClient{c: c, up: up}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		p.clients[cl] = struct{}{}
		p.mu.Unlock()
		p.open.Add(1)
		var once sync.Once
		end := func() {
			once.Do(func() {
				c.Close()
				up.Close()
				p.mu.Lock()
				delete(p.clients, cl)
				p.mu.Unlock()
				p.open.Add(-1)
			})
		}
		p.wg.Add(2)
		go func() { defer p.wg.Done(); defer end(); p.fromClient(cl) }()
		go func() { defer p.wg.Done(); defer end(); p.fromServer(cl) }()
	}
}

// fromClient passes the client's commands on (an ANS rewritten for
// SBUnknownSession).
func (p *SBProxy) fromClient(cl *sbClient) {
	rd := msnp.NewReader(cl.c, msnp.FromClient, 4096)
	var out []byte
	for {
		cmd, err := rd.Next()
		if err != nil {
			return
		}
		out = append(out[:0], cmd.Line...)
		if cmd.Is("ANS") {
			p.mu.Lock() // other, on another client's goroutine, reads it under p.mu
			cl.callee = true
			p.mu.Unlock()
			if p.act == SBUnknownSession && cmd.NArgs == 3 {
				p.fired.Add(1)
				out = msnp.AppendCmd(out[:0], "ANS", cmd.TrID)
				out = msnp.AppendArgBytes(msnp.AppendArgBytes(out, cmd.Arg(0)), cmd.Arg(1))
				out = msnp.AppendArg(out, "987654321")
			}
		}
		if p.act == SBByeThenNak && cmd.Is("MSG") && !cl.sent && cmd.NArgs >= 1 && bytesEqual(cmd.Arg(0), "A") {
			p.mu.Lock()
			callee := cl.callee
			p.mu.Unlock()
			if !callee {
				// The other party leaves while the message is on its way:
				// the switchboard announces it and refuses the message.
				cl.sent = true
				p.fired.Add(1)
				out = append(out[:0], "BYE peer@example.com\r\nNAK "...)
				out = strconv.AppendUint(out, uint64(cmd.TrID), 10)
				if cl.write(append(out, '\r', '\n')) != nil {
					return
				}
				continue
			}
		}
		out = append(out, '\r', '\n')
		out = append(out, cmd.Payload...)
		if _, err := cl.up.Write(out); err != nil {
			return
		}
	}
}

// fromServer passes the switchboard's commands on to the client, but for
// the scripted misbehaviour.
func (p *SBProxy) fromServer(cl *sbClient) {
	rd := msnp.NewReader(cl.up, msnp.FromServer, 4096)
	var out, held []byte
	for {
		cmd, err := rd.Next()
		if cmd == nil && err != nil {
			return
		}
		out = append(append(out[:0], cmd.Line...), '\r', '\n')
		out = append(out, cmd.Payload...)
		msg := cmd.Is("MSG") && len(cmd.Payload) > 20
		switch {
		case p.act == SBNoJOI && cmd.Is("JOI"):
			p.fired.Add(1)
			continue
		case msg && !cl.fired && p.act == SBCloseMid:
			cl.fired = true
			p.fired.Add(1)
			cut := len(out) - len(cmd.Payload)/2
			cl.write(out[:cut])
			return // end closes both sides
		case msg && !cl.fired && p.act == SBTruncate:
			cl.fired = true
			p.fired.Add(1)
			out = out[:len(out)-10]
		case msg && !cl.fired && p.act == SBWrongUser:
			if other := p.other(cl); other != nil {
				cl.fired = true
				p.fired.Add(1)
				if other.write(out) != nil {
					return
				}
				continue
			}
		case p.act == SBMsgBeforeAnsOK && cmd.Is("ANS") && !cl.fired:
			held = append(held[:0], out...) // legal: a relay may overtake the reply
			continue
		case p.act == SBMsgBeforeAnsOK && msg && len(held) > 0:
			cl.fired = true
			p.fired.Add(1)
			out = append(out, held...)
			held = held[:0]
		case msg && p.act == SBFlood:
			p.fired.Add(1)
			for cl.write(out) == nil {
			}
			return
		}
		if cl.write(out) != nil {
			return
		}
		if err != nil && !isServerError(err) {
			return
		}
	}
}

func isServerError(err error) bool {
	var se *msnp.ServerError
	return errors.As(err, &se)
}

func (cl *sbClient) write(b []byte) error {
	cl.wmu.Lock()
	defer cl.wmu.Unlock()
	_, err := cl.c.Write(b)
	return err
}

// other returns another client of the proxy than cl, a callee if there is
// one.
func (p *SBProxy) other(cl *sbClient) *sbClient {
	p.mu.Lock()
	defer p.mu.Unlock()
	var any *sbClient
	for o := range p.clients {
		if o == cl {
			continue
		}
		if o.callee {
			return o
		}
		any = o
	}
	return any
}

func bytesEqual(b []byte, s string) bool { return string(b) == s }
