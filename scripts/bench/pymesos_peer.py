#!/usr/bin/env python3
"""The pymesos peer of the offer-throughput benchmark.

A small pymesos (0.3.15, v1 HTTP API, JSON) scheduler with the same policy as the Rust
side: first fit over a seeded queue of pending tasks, one ACCEPT (launchTasks) per used
offer, one DECLINE for the others of each OFFERS event, the queue refilled with one new
task per launched task when asked, and pymesos' implicit acknowledgements for updates.

The queue is the same as the Rust side's (`benchkit::workload::task_spec`): task n draws
its sizes from SplitMix64 seeded with seed ^ (n * 0x9e3779b97f4a7c15).

Run it through scripts/bench/run_pymesos.sh, which starts the offer source.
"""

import argparse
import logging
import signal
import sys
import threading

from pymesos import MesosSchedulerDriver, Scheduler

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return 0 if n == 0 else self.next_u64() % n


def task_spec(mix, seed, n):
    """(name, cpus, mem, ports) of task n, as benchkit::workload::task_spec."""
    name = "task-%d" % n
    if mix == "mixed":
        rng = SplitMix64(seed ^ ((n * 0x9E3779B97F4A7C15) & MASK))
        cpus = 0.5 * (1 + rng.below(4))
        mem = 512.0 * (1 + rng.below(8))
        ports = rng.below(3)
        return (name, cpus, mem, ports)
    if mix == "unplaceable":
        return (name, 64.0, 1024.0, 0)
    if mix.startswith("uniform:"):
        _, cpus, mem = mix.split(":")
        return (name, float(cpus), float(mem), 0)
    raise ValueError("unknown task mix %r" % mix)


class FirstFit(Scheduler):
    def __init__(self, queue, mix, seed, refill):
        self.mix = mix
        self.seed = seed
        self.refill = refill
        self.next = 0
        self.queue = []
        self.lock = threading.Lock()
        for _ in range(queue):
            self._push()

    def _push(self):
        self.queue.append(task_spec(self.mix, self.seed, self.next))
        self.next += 1

    def _place(self, offer):
        cpus = mem = 0.0
        ports = []
        for r in offer.get("resources", []):
            if r.get("name") == "cpus":
                cpus += r["scalar"]["value"]
            elif r.get("name") == "mem":
                mem += r["scalar"]["value"]
            elif r.get("name") == "ports":
                ports += [[x["begin"], x["end"]] for x in r["ranges"]["range"]]
        free_ports = sum(e - b + 1 for b, e in ports)
        alloc = offer.get("allocation_info")
        launched, kept = [], []
        for task in self.queue:
            name, t_cpus, t_mem, t_ports = task
            if cpus > 0 and t_cpus <= cpus + 1e-9 and t_mem <= mem + 1e-9 and t_ports <= free_ports:
                cpus -= t_cpus
                mem -= t_mem
                free_ports -= t_ports
                taken = []
                need = t_ports
                while need > 0 and ports:
                    b, e = ports[0]
                    n = min(e - b + 1, need)
                    taken.append({"begin": b, "end": b + n - 1})
                    need -= n
                    if n == e - b + 1:
                        ports.pop(0)
                    else:
                        ports[0][0] = b + n
                resources = [
                    {"name": "cpus", "type": "SCALAR", "scalar": {"value": t_cpus}},
                    {"name": "mem", "type": "SCALAR", "scalar": {"value": t_mem}},
                ]
                if taken:
                    resources.append({"name": "ports", "type": "RANGES", "ranges": {"range": taken}})
                if alloc:
                    for r in resources:
                        r["allocation_info"] = alloc
                launched.append({
                    "name": name,
                    "task_id": {"value": "%s-%d" % (name, self.next)},
                    "agent_id": offer["agent_id"],
                    "resources": resources,
                    "command": {"value": "true", "shell": True},
                })
            else:
                kept.append(task)
        self.queue = kept
        return launched

    def resourceOffers(self, driver, offers):
        declined = []
        with self.lock:
            answers = []
            for offer in offers:
                tasks = self._place(offer)
                if tasks:
                    answers.append((offer["id"], tasks))
                    if self.refill:
                        for _ in tasks:
                            self._push()
                else:
                    declined.append(offer["id"])
        for offer_id, tasks in answers:
            driver.launchTasks(offer_id, tasks, {"refuse_seconds": 5.0})
        if declined:
            driver.declineOffer(declined, {"refuse_seconds": 5.0})

    def statusUpdate(self, driver, update):
        pass  # pymesos acknowledges implicitly after this returns


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--master", required=True, help="host:port of the offer source")
    p.add_argument("--queue", type=int, default=1000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--task-mix", default="mixed")
    p.add_argument("--refill", action="store_true")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    sched = FirstFit(args.queue, args.task_mix, args.seed, args.refill)
    framework = {"user": "root", "name": "pymesos-peer", "hostname": "localhost"}
    driver = MesosSchedulerDriver(sched, framework, args.master, use_addict=False)
    signal.signal(signal.SIGTERM, lambda *_: driver.stop())
    driver.start()
    try:
        driver.join()
    except KeyboardInterrupt:
        driver.stop()


if __name__ == "__main__":
    main()
