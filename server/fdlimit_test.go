//go:build linux

package server

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFDExhaustion runs a server in a child process whose open-file limit
// is tiny and an explicit MaxConns far above it: clients beyond what the
// process can hold must get "600" at once instead of waiting in the listen
// backlog until they time out.
func TestFDExhaustion(t *testing.T) {
	if os.Getenv("MSNBENCH_FD_CHILD") == "1" {
		fdChild()
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFDExhaustion$")
	cmd.Env = append(os.Environ(), "MSNBENCH_FD_CHILD=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	sc := bufio.NewScanner(stdout)
	var addr string
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "addr "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatal("child printed no address")
	}
	const n = 80
	served, refused := 0, 0
	var conns []net.Conn
	for i := 0; i < n; i++ {
		nc, err := net.DialTimeout("tcp", addr, testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc) // kept open, so the server's descriptors stay used
		nc.SetDeadline(time.Now().Add(testTimeout))
		nc.Write([]byte("VER 1 MSNP7\r\n"))
		line, err := bufio.NewReader(nc).ReadString('\n')
		switch {
		case line == "VER 1 MSNP7\r\n":
			served++
		case strings.HasPrefix(line, "600"):
			refused++
		default:
			t.Fatalf("connection %d: got %q, %v", i, line, err)
		}
	}
	for _, nc := range conns {
		nc.Close()
	}
	t.Logf("served %d, refused %d", served, refused)
	if served == 0 || refused == 0 || served+refused != n {
		t.Errorf("served %d, refused %d of %d", served, refused, n)
	}
}

func fdChild() {
	lim := syscall.Rlimit{Cur: 48, Max: 48}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s, err := New(Config{MaxConns: 1000, Accounts: 1, Password: "pw"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("addr " + s.Addr())
	var b [1]byte
	os.Stdin.Read(b[:]) // until the parent closes stdin
	s.Close()
}

func TestDefaultMaxConnsFitsFileLimit(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if lim := openFileLimit(); lim > 0 && cfg.MaxConns > lim-fdHeadroom {
		t.Errorf("default MaxConns %d above the open-file limit %d less %d", cfg.MaxConns, lim, fdHeadroom)
	}
	if cfg, _ := (Config{MaxConns: 123456}).withDefaults(); cfg.MaxConns != 123456 {
		t.Errorf("an explicit MaxConns was changed to %d", cfg.MaxConns)
	}
}
