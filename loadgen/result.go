package loadgen

import (
	"time"

	"github.com/msnbench/msnbench/report"
)

// result is the run's report once its sessions are over: the Recorder's
// histograms and series up to end (ns since start), the usage between u0
// and u1, and what the engine counted.
func (e *Engine) result(start time.Time, end int64, u0, u1 usage) *report.Run {
	c := &e.cfg
	run := &report.Run{
		Schema:  report.SchemaVersion,
		Tool:    c.Tool,
		ID:      report.NewRunID(),
		Label:   c.Label,
		Config:  e.reportConfig(),
		Machine: machine(),
		Start:   start,
		End:     start.Add(time.Duration(end)),
		Shard:   report.Shard{Index: c.ShardIndex, Count: c.ShardCount, Group: c.ShardGroup, At: c.StartAt},
	}
	e.p.rec.Finish(run, end)
	run.Interrupted = e.interrupted.Load()
	run.ErrorTexts = e.texts.texts()
	if e.p.chat != nil {
		e.p.chat.report(run)
	}
	e.n.holdMu.Lock()
	fillHealth(run, u0, u1, e.n.peak.Load(), c.SharedProcess, e.n.holdFailed)
	e.n.holdMu.Unlock()
	run.Health.BackoffTotal = report.Duration(e.n.backoffNs.Load())
	run.Health.Backoffs = e.n.backoffs.Load()
	run.Health.Warnings = append(run.Health.Warnings, e.Notes()...)
	if w := e.limitsWarning(e.n.peak.Load()); w != "" {
		run.Health.Warnings = append(run.Health.Warnings, w)
	}
	e.presenceReport(run)
	return run
}

// reportConfig is the configuration as the report shows it: no password,
// no account list, only what describes the run.
func (e *Engine) reportConfig() report.Config {
	c := &e.cfg
	rc := report.Config{
		Target:      c.Target,
		Model:       c.Model(),
		Concurrency: c.Concurrency,
		Rate:        c.Rate,
		MaxInflight: c.MaxInflight,
		Logins:      c.Logins,
		Duration:    report.Duration(c.Duration),
		Warmup:      report.Duration(c.Warmup),
		Steps:       []string{},
		Hold:        report.Duration(c.Hold),
		Dialects:    string(e.p.verList),
		Accounts:    c.accountCount(),
		UserPattern: c.UserPattern,
		UsersFile:   c.UsersFile,
		Source:      c.Source,
		Timeout:     report.Duration(c.Timeout),
		Interval:    report.Duration(c.Interval),
		IO:          c.IO,
		Timestamps:  c.Timestamps,
		TargetRole:  e.p.role.String(),
	}
	if c.TargetRole == RoleAuto && e.p.role != roleAuto {
		rc.TargetRoleBy = "probe"
	}
	if c.TargetLabel != "" {
		rc.Target = c.TargetLabel
	}
	if c.open() {
		rc.Arrival = c.Arrival.String()
	}
	if len(c.Stages) > 0 {
		rc.Stages = FormatStages(c.Stages)
		if c.StagesRate {
			rc.Stages = "rate " + rc.Stages
		}
	}
	for _, s := range c.Steps {
		rc.Steps = append(rc.Steps, s.String())
	}
	if anyStep(c.Steps, goesOnline) {
		rc.Status = c.Status
	}
	if c.Hold > 0 {
		rc.Ping = report.Duration(c.Ping)
		rc.StatusEvery = report.Duration(c.StatusEvery)
		rc.ChatEvery = report.Duration(c.ChatEvery)
	}
	return rc
}
