package server_test

import (
	"fmt"
	"time"

	"github.com/msnbench/msnbench/server"
)

// A dispatch and a notification listener on random loopback ports, 1000
// generated accounts with 10 contacts each, CHL/QRY on, 2 ms before every
// reply and 20 ms before the SYN answer.
func ExampleNew() {
	s, err := server.New(server.Config{
		DSAddr:     "127.0.0.1:0",
		Accounts:   1000,
		Password:   "secret",
		Contacts:   10,
		CHL:        true,
		Delay:      2 * time.Millisecond,
		PhaseDelay: map[server.Phase]time.Duration{server.PhaseSYN: 20 * time.Millisecond},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	// Clients connect to s.Addr(): the dispatch listener, which refers them
	// to s.NSAddr().
	fmt.Println(s.Addr() == s.DSAddr(), s.Accounts(), s.Stats().LoginsOK)
	// Output: true 1000 0
}

// Fault injection: 5% of logins fail with 600 at the challenge step.
func ExampleConfig_faults() {
	phases, _ := server.ParsePhaseSet("ns.usr.i")
	s, err := server.New(server.Config{
		Accounts:    100,
		Password:    "secret",
		ErrorCode:   600,
		ErrorRate:   0.05,
		ErrorPhases: phases,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Println(phases)
	// Output: ns.usr.i
}

// Stall holds every reply for a while, the way a server that stops
// answering mid-run looks to a load generator.
func ExampleServer_Stall() {
	s, err := server.New(server.Config{Accounts: 10, Password: "secret"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	s.Stall(500 * time.Millisecond) // replies due in the next 500 ms wait until then
	s.Stall(0)                      // ends the stall early
	fmt.Println(s.Stats().Delayed)
	// Output: 0
}
