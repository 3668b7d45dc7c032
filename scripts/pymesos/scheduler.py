#!/usr/bin/env python3
"""A pymesos scheduler run against mesos-local by scripts/pymesos-interop.sh.

It launches command tasks and custom-executor tasks (the executor is executor.py, a pymesos
executor), exchanges framework messages both ways with the executor, acknowledges every
update explicitly (failing if an acknowledgement is rejected), and exits 0 only when every
task is TASK_FINISHED. Any other terminal state, an ERROR, or the deadline exits 1.

usage: scheduler.py MASTER(host:port) EXECUTOR_COMMAND
"""
import logging
import sys
import threading
import time

from pymesos import MesosSchedulerDriver, Scheduler, decode_data, encode_data

COMMAND_TASKS = ["cmd-0", "cmd-1"]
EXECUTOR_TASKS = ["exec-0", "exec-1"]
DEADLINE = 90


def log(msg):
    sys.stdout.write("[scheduler] %s\n" % msg)
    sys.stdout.flush()


def scalar(offer, name):
    return sum(r["scalar"]["value"] for r in offer.get("resources", [])
               if r["name"] == name and r.get("type") == "SCALAR")


def resources(cpus, mem):
    return [dict(name="cpus", type="SCALAR", scalar=dict(value=cpus)),
            dict(name="mem", type="SCALAR", scalar=dict(value=mem))]


class InteropScheduler(Scheduler):
    def __init__(self, executor_command):
        self.executor_command = executor_command
        self.pending = [(t, "command") for t in COMMAND_TASKS] + [(t, "executor") for t in EXECUTOR_TASKS]
        self.states = {}
        self.hello = set()
        self.acks = 0
        self.failure = None
        self.done = threading.Event()
        self.lock = threading.Lock()

    def fail(self, why):
        with self.lock:
            if self.failure is None:
                self.failure = why
        log("FAIL: " + why)
        self.done.set()

    def registered(self, driver, framework_id, master_info):
        log("registered as %s with master %s" % (framework_id["value"], master_info))

    def resourceOffers(self, driver, offers):
        for offer in offers:
            cpus, mem = scalar(offer, "cpus"), scalar(offer, "mem")
            tasks = []
            with self.lock:
                while self.pending and cpus >= 0.2 and mem >= 96:
                    task_id, kind = self.pending.pop(0)
                    task = dict(name=task_id, task_id=dict(value=task_id),
                                agent_id=offer["agent_id"], resources=resources(0.1, 32))
                    if kind == "command":
                        task["command"] = dict(value="echo pymesos command task %s" % task_id)
                    else:
                        task["executor"] = dict(
                            type="CUSTOM",
                            executor_id=dict(value="pymesos-executor"),
                            name="pymesos executor",
                            command=dict(value=self.executor_command),
                            resources=resources(0.05, 32))
                        task["data"] = encode_data(("payload of %s" % task_id).encode())
                    tasks.append(task)
                    cpus -= 0.2
                    mem -= 96
            if tasks:
                log("launching %s on %s" % ([t["task_id"]["value"] for t in tasks], offer["agent_id"]["value"]))
                driver.launchTasks(offer["id"], tasks)
            else:
                driver.declineOffer(offer["id"], dict(refuse_seconds=1))

    def statusUpdate(self, driver, update):
        task_id = update["task_id"]["value"]
        state = update["state"]
        log("update %s %s %s" % (task_id, state, update.get("message", "")))
        if "uuid" in update:
            try:
                driver.acknowledgeStatusUpdate(update)
                with self.lock:
                    self.acks += 1
            except Exception as e:  # a rejected ACK is a failure
                self.fail("acknowledgement of %s %s rejected: %s" % (task_id, state, e))
                return
        if state in ("TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE"):
            self.fail("task %s ended in %s: %s" % (task_id, state, update.get("message")))
            return
        if task_id.startswith("exec-") and state == "TASK_FINISHED":
            data = decode_data(update.get("data", "")).decode()
            if data != "finished %s" % task_id:
                self.fail("executor task %s finished with data %r" % (task_id, data))
                return
        with self.lock:
            self.states[task_id] = state
            everything = COMMAND_TASKS + EXECUTOR_TASKS
            finished = all(self.states.get(t) == "TASK_FINISHED" for t in everything)
            messaged = self.hello >= set(EXECUTOR_TASKS)
        if finished and messaged:
            log("ALL TASKS FINISHED (%d acknowledgements accepted, messages both ways)" % self.acks)
            self.done.set()

    def frameworkMessage(self, driver, executor_id, agent_id, data):
        text = decode_data(data).decode()
        log("message from %s: %r" % (executor_id["value"], text))
        if not text.startswith("hello from "):
            self.fail("unexpected executor message %r" % text)
            return
        task_id = text[len("hello from "):]
        with self.lock:
            self.hello.add(task_id)
        driver.sendFrameworkMessage(executor_id, agent_id, encode_data(("finish %s" % task_id).encode()))

    def executorLost(self, driver, executor_id, agent_id, status):
        log("executor %s exited with status %s" % (executor_id["value"], status))

    def error(self, driver, message):
        self.fail("ERROR event: %s" % message)


def main():
    logging.basicConfig(level=logging.WARNING)
    master, executor_command = sys.argv[1], sys.argv[2]
    sched = InteropScheduler(executor_command)
    framework = dict(user="root", name="pymesos-interop", failover_timeout=0.0,
                     capabilities=[dict(type="MULTI_ROLE")], roles=["*"])
    import getpass
    framework["user"] = getpass.getuser()
    driver = MesosSchedulerDriver(sched, framework, master, use_addict=False,
                                  implicit_acknowledgements=False)
    driver.start()
    if not sched.done.wait(DEADLINE):
        sched.fail("deadline of %ds passed; task states %s, messages from %s"
                   % (DEADLINE, sched.states, sorted(sched.hello)))
    driver.stop()
    try:
        driver.join()
    except Exception:
        pass
    if sched.failure:
        log("RESULT: FAIL (%s)" % sched.failure)
        sys.exit(1)
    log("RESULT: OK")


if __name__ == "__main__":
    main()
