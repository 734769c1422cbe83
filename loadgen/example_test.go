package loadgen_test

import (
	"context"
	"fmt"
	"log"

	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/server"
)

// A closed-model run of 100 full logins (dispatch, notification server,
// SYN, CHG, OUT) by 4 concurrent clients against the reference server.
func Example() {
	srv, err := server.New(server.Config{DSAddr: "127.0.0.1:0", NSAddr: "127.0.0.1:0", Accounts: 4,
		Password: "password"})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	eng, err := loadgen.New(loadgen.Config{
		Target:      srv.Addr(),
		Concurrency: 4,
		Logins:      100,
		Steps:       []loadgen.Step{loadgen.StepSyn, loadgen.StepChg},
		UserPattern: "user%d@example.com",
		Accounts:    4,
		Password:    "password",
	})
	if err != nil {
		log.Fatal(err)
	}
	run, err := eng.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ok", run.Counts.OK, "failed", run.Counts.Failed)
	fmt.Println("login measured", run.Phase("login").Summary.Count, "times")
	// Output:
	// ok 100 failed 0
	// login measured 100 times
}

// ParseStages reads a ramp profile as given to --stages.
func ExampleParseStages() {
	st, err := loadgen.ParseStages("30s:0->500, 2m:500, 30s:500->0")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range st {
		fmt.Println(s.Duration, s.From, "->", s.To)
	}
	// Output:
	// 30s 0 -> 500
	// 2m0s 500 -> 500
	// 30s 500 -> 0
}
