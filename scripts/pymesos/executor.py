#!/usr/bin/env python3
"""A pymesos executor for scripts/pymesos-interop.sh.

On LAUNCH it reports TASK_RUNNING and sends "hello from TASK" to the scheduler; when the
scheduler answers "finish TASK" it reports TASK_FINISHED with data "finished TASK". KILL
reports TASK_KILLED. It runs until the agent shuts it down.
"""
import logging
import sys
import threading

from pymesos import Executor, MesosExecutorDriver, decode_data, encode_data


def log(msg):
    sys.stderr.write("[executor] %s\n" % msg)
    sys.stderr.flush()


class InteropExecutor(Executor):
    def __init__(self):
        self.tasks = {}

    def registered(self, driver, executor_info, framework_info, agent_info):
        log("registered: executor %s of framework %s on agent %s" % (
            executor_info["executor_id"]["value"], framework_info["id"]["value"],
            agent_info.get("id", {}).get("value")))

    def launchTask(self, driver, task):
        task_id = task["task_id"]["value"]
        payload = decode_data(task.get("data", "")).decode()
        log("launch %s (data %r)" % (task_id, payload))
        self.tasks[task_id] = task
        driver.sendStatusUpdate(dict(task_id=task["task_id"], state="TASK_RUNNING"))
        driver.sendFrameworkMessage(encode_data(("hello from %s" % task_id).encode()))

    def frameworkMessage(self, driver, message):
        text = decode_data(message).decode()
        log("message %r" % text)
        if text.startswith("finish "):
            task_id = text[len("finish "):]
            driver.sendStatusUpdate(dict(
                task_id=dict(value=task_id), state="TASK_FINISHED",
                data=encode_data(("finished %s" % task_id).encode())))

    def killTask(self, driver, task_id):
        driver.sendStatusUpdate(dict(task_id=task_id, state="TASK_KILLED"))

    def shutdown(self, driver):
        log("shutdown")


def main():
    logging.basicConfig(level=logging.WARNING)
    driver = MesosExecutorDriver(InteropExecutor(), use_addict=False)
    driver.run()


if __name__ == "__main__":
    main()
