package ecssim

import (
	"strconv"
	"strings"
	"time"
)

// This file holds the scripted life of deployments and their tasks.

func (svc *service) has(d *deployment) bool {
	for _, x := range svc.deployments {
		if x == d {
			return true
		}
	}
	return false
}

func (svc *service) remove(d *deployment) {
	out := svc.deployments[:0]
	for _, x := range svc.deployments {
		if x != d {
			out = append(out, x)
		}
	}
	svc.deployments = out
}

func (s *Simulator) newDeployment(svc *service, td *taskDef, now time.Time) *deployment {
	d := &deployment{id: s.newDeploymentID(), status: "PRIMARY", taskDef: td, desired: svc.desired, rollout: "IN_PROGRESS", createdAt: now, updated: now}
	d.reason = "ECS deployment " + d.id + " in progress."
	for _, old := range svc.deployments {
		if old.status == "PRIMARY" {
			old.status, old.updated = "ACTIVE", now
		}
	}
	svc.deployments = append([]*deployment{d}, svc.deployments...)
	svc.taskDef = td
	return d
}

// createInitialDeployment brings a new service straight to a steady state:
// the test bed starts from a service that already runs.
func (s *Simulator) createInitialDeployment(svc *service, now time.Time) {
	d := s.newDeployment(svc, svc.taskDef, now)
	var started []*task
	for range d.desired {
		started = append(started, s.launchTask(svc, d, now))
	}
	s.eventStarted(svc, now, started)
	for _, t := range started {
		s.runTask(svc, t, now)
	}
	d.rollout, d.reason = "COMPLETED", "ECS deployment "+d.id+" completed."
	s.event(svc, now, "has reached a steady state.")
}

// startDeployment rolls a task definition out following the service's
// scenario.
func (s *Simulator) startDeployment(svc *service, td *taskDef, now time.Time) {
	d := s.newDeployment(svc, td, now)
	s.throttle = svc.scenario.Throttle
	step := svc.scenario.step()
	switch svc.scenario.kind() {
	case CircuitBreakerRollback, CircuitBreakerFailed, CrashLoop:
		s.failingTaskLoop(svc, d, now, step)
	default:
		s.healthyRollout(svc, d, now, step)
	}
}

func (s *Simulator) healthyRollout(svc *service, d *deployment, start time.Time, step time.Duration) {
	current := func() bool { return svc.has(d) && d.status == "PRIMARY" }
	var started []*task
	svc.schedule(start, func(now time.Time) {
		if !current() {
			return
		}
		for range d.desired {
			started = append(started, s.launchTask(svc, d, now))
		}
		s.eventStarted(svc, now, started)
	})
	svc.schedule(start.Add(step), func(now time.Time) {
		if !current() {
			return
		}
		for _, t := range started {
			if t.lastStatus != "STOPPED" {
				s.runTask(svc, t, now)
			}
		}
		for _, lb := range svc.loadBalancers {
			s.event(svc, now, "registered %d targets in (target-group %s)", len(started), lb.TargetGroupArn)
		}
	})
	svc.schedule(start.Add(2*step), func(now time.Time) {
		if !current() {
			return
		}
		for _, old := range append([]*deployment(nil), svc.deployments...) {
			if old != d {
				s.retire(svc, old, now, "Scaling activity initiated by (deployment "+d.id+")")
			}
		}
	})
	svc.schedule(start.Add(3*step), func(now time.Time) {
		if !current() {
			return
		}
		s.complete(svc, d, now)
		s.settle(svc, d, "completed", now)
	})
}

// complete marks a deployment COMPLETED, with ECS's events.
func (s *Simulator) complete(svc *service, d *deployment, now time.Time) {
	d.rollout, d.reason, d.updated = "COMPLETED", "ECS deployment "+d.id+" completed.", now
	s.event(svc, now, "(deployment %s) deployment completed.", d.id)
	s.event(svc, now, "has reached a steady state.")
}

// retire stops a deployment's running tasks and drops it (INACTIVE).
func (s *Simulator) retire(svc *service, d *deployment, now time.Time, reason string) {
	var stopped []string
	for _, t := range svc.tasks {
		if t.deployment == d && t.lastStatus != "STOPPED" {
			s.stopTask(svc, t, now, reason, "ServiceSchedulerInitiated", 0, nil)
			stopped = append(stopped, "(task "+t.id+")")
		}
	}
	if len(stopped) > 0 {
		for _, lb := range svc.loadBalancers {
			s.event(svc, now, "deregistered %d targets in (target-group %s)", len(stopped), lb.TargetGroupArn)
		}
		s.event(svc, now, "has stopped %d running tasks: %s.", len(stopped), strings.Join(stopped, " "))
	}
	d.status = "INACTIVE"
	svc.remove(d)
}

// failingTaskLoop starts one task per step; each exits with code 1 half a
// step later. The circuit breaker, when the scenario has one, trips at the
// failure threshold; otherwise the loop goes on.
func (s *Simulator) failingTaskLoop(svc *service, d *deployment, start time.Time, step time.Duration) {
	svc.schedule(start, func(now time.Time) {
		if !svc.has(d) || d.rollout != "IN_PROGRESS" || len(svc.tasks) > 5000 {
			return
		}
		t := s.launchTask(svc, d, now)
		s.eventStarted(svc, now, []*task{t})
		svc.schedule(now.Add(step/4), func(now time.Time) {
			if t.lastStatus == "PENDING" {
				s.runTask(svc, t, now)
			}
		})
		svc.schedule(now.Add(step/2), func(now time.Time) {
			if t.lastStatus == "STOPPED" {
				return
			}
			s.stopTask(svc, t, now, "Essential container in task exited", "EssentialContainerExited", 1, svc.scenario.crashLog())
			d.failed++
			kind := svc.scenario.kind()
			if kind != CrashLoop && int(d.failed) >= svc.scenario.threshold() {
				s.trip(svc, d, now, kind == CircuitBreakerRollback)
				return
			}
			if kind == CrashLoop && int(d.failed) == svc.scenario.threshold() {
				s.event(svc, now, "is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.")
			}
			s.failingTaskLoop(svc, d, now.Add(step/2), step)
		})
	})
}

// trip is the circuit breaker: the deployment FAILS and, with rollback, the
// previous deployment's task definition becomes PRIMARY again.
func (s *Simulator) trip(svc *service, d *deployment, now time.Time, rollback bool) {
	d.rollout, d.reason, d.updated = "FAILED", "ECS deployment circuit breaker: tasks failed to start.", now
	s.event(svc, now, "(deployment %s) deployment failed: tasks failed to start.", d.id)
	var prev *deployment
	for _, x := range svc.deployments {
		if x != d {
			prev = x
			break
		}
	}
	if !rollback || prev == nil {
		s.settle(svc, d, "failed", now)
		return
	}
	r := s.newDeployment(svc, prev.taskDef, now)
	r.reason = "ECS deployment circuit breaker: rolling back to deploymentId " + prev.id + "."
	s.event(svc, now, "rolling back to deployment %s.", prev.id)
	for _, t := range svc.tasks {
		if t.deployment == prev {
			t.deployment = r
		}
	}
	r.running, r.pending = prev.running, prev.pending
	svc.remove(prev)
	s.settle(svc, d, "rolled-back", now)
	svc.schedule(now.Add(svc.scenario.step()), func(now time.Time) {
		d.status = "INACTIVE"
		svc.remove(d)
		if svc.has(r) && r.status == "PRIMARY" {
			s.complete(svc, r, now)
		}
	})
}

func (s *Simulator) settle(svc *service, d *deployment, outcome string, now time.Time) {
	s.settlements = append(s.settlements, Settlement{Cluster: svc.cluster.name, Service: svc.name, DeploymentID: d.id, TaskDefinition: d.taskDef.arn, Outcome: outcome, At: now})
}

func (s *Simulator) eventStarted(svc *service, now time.Time, tasks []*task) {
	if len(tasks) == 0 {
		return
	}
	ids := make([]string, len(tasks))
	for i, t := range tasks {
		ids[i] = "(task " + t.id + ")"
	}
	s.event(svc, now, "has started %d tasks: %s.", len(tasks), strings.Join(ids, " "))
}

func (s *Simulator) launchTask(svc *service, d *deployment, now time.Time) *task {
	id := s.newTaskID()
	n := s.next()
	t := &task{
		arn: s.arn("task/" + svc.cluster.name + "/" + id), id: id, taskDef: d.taskDef, deployment: d,
		lastStatus: "PENDING", desiredStatus: "RUNNING", health: "UNKNOWN", createdAt: now,
		ip: "10.0." + strconv.Itoa(n/250%250) + "." + strconv.Itoa(n%250+2),
	}
	for _, c := range d.taskDef.containers {
		t.containers = append(t.containers, &container{name: c.Name, lastStatus: "PENDING", health: "UNKNOWN"})
	}
	svc.tasks = append(svc.tasks, t)
	d.pending++
	d.updated = now
	return t
}

func (s *Simulator) runTask(svc *service, t *task, now time.Time) {
	t.lastStatus, t.startedAt = "RUNNING", now
	health := "HEALTHY"
	if svc.scenario.UnhealthyContainers {
		health = "UNHEALTHY"
	}
	anyCheck := false
	for i, c := range t.containers {
		c.lastStatus = "RUNNING"
		if len(t.taskDef.containers[i].HealthCheck) > 0 {
			c.health, anyCheck = health, true
		}
	}
	if anyCheck {
		t.health = health
	}
	t.deployment.pending--
	t.deployment.running++
	t.deployment.updated = now
	s.notices = append(s.notices, s.taskEvent(svc, t, true, now, nil))
}

// stopTask stops a task; the essential container exits with exitCode.
func (s *Simulator) stopTask(svc *service, t *task, now time.Time, reason, code string, exitCode int32, logLines []string) {
	if t.lastStatus == "RUNNING" {
		t.deployment.running--
	} else {
		t.deployment.pending--
	}
	t.deployment.updated = now
	t.lastStatus, t.desiredStatus, t.stoppedReason, t.stopCode = "STOPPED", "STOPPED", reason, code
	t.stoppingAt, t.stoppedAt = now, now
	essential := t.taskDef.essential().Name
	for _, c := range t.containers {
		c.lastStatus = "STOPPED"
		code := exitCode
		if c.name != essential {
			code = 0
		}
		c.exitCode = &code
	}
	s.notices = append(s.notices, s.taskEvent(svc, t, false, now, logLines))
}

func (s *Simulator) taskEvent(svc *service, t *task, running bool, now time.Time, logLines []string) TaskEvent {
	ev := TaskEvent{
		Cluster: svc.cluster.name, Service: svc.name, TaskARN: t.arn, TaskID: t.id, TaskDefinition: t.taskDef.arn,
		Running: running, PrivateIP: t.ip, LogLines: logLines, At: now,
	}
	for _, lb := range svc.loadBalancers {
		ev.LoadBalancers = append(ev.LoadBalancers, LoadBalancer{TargetGroupARN: lb.TargetGroupArn, ContainerName: lb.ContainerName, ContainerPort: lb.ContainerPort})
	}
	c := t.taskDef.essential()
	if lc := c.LogConfiguration; lc != nil && lc.LogDriver == "awslogs" {
		ev.LogGroup = lc.Options["awslogs-group"]
		if p := lc.Options["awslogs-stream-prefix"]; p != "" {
			ev.LogStream = p + "/" + c.Name + "/" + t.id
		}
	}
	return ev
}
