#!/usr/bin/env python3
"""A tiny custom executor for the local-cluster tests: standard library only, JSON.

Task `data` decides what it does after TASK_RUNNING:
  finish -> TASK_FINISHED (with data "done")
  wait   -> stays running until KILL (-> TASK_KILLED)
  exit   -> the executor exits with status 7 (the agent must fail the task)
  resubscribe -> drops its subscription and subscribes again, handing TASK_FINISHED to the
            agent only as an unacknowledged update of the new SUBSCRIBE
It sends "hello <task>" to the scheduler on LAUNCH, answers MESSAGE "x" with "echo:x"
(and "acks?" with "acks:N", the agent's ACKNOWLEDGED receipts for its updates),
and writes its environment to ./env.txt. EXECUTOR_API=plain uses /api/v1/executor.
"""
import base64, http.client, json, os, sys, uuid

pid = os.environ["MESOS_SLAVE_PID"]
agent = os.environ["MESOS_AGENT_ENDPOINT"]
host, port = agent.rsplit(":", 1)
path = "/api/v1/executor" if os.environ.get("EXECUTOR_API") == "plain" else "/" + pid.split("@")[0] + "/api/v1/executor"
fw = os.environ["MESOS_FRAMEWORK_ID"]
ex = os.environ["MESOS_EXECUTOR_ID"]

with open("env.txt", "w") as f:
    for k in sorted(os.environ):
        if k.startswith("MESOS_") or k.startswith("LIBPROCESS_"):
            f.write("%s=%s\n" % (k, os.environ[k]))


def post(body):
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    c.close()
    if r.status != 202:
        sys.stderr.write("call failed: %d\n" % r.status)
        sys.exit(3)


def call(kind, **payload):
    body = {"framework_id": {"value": fw}, "executor_id": {"value": ex}, "type": kind}
    body.update(payload)
    post(body)


def status_of(task_id, state, data=None):
    status = {
        "task_id": task_id,
        "state": state,
        "source": "SOURCE_EXECUTOR",
        "uuid": base64.b64encode(uuid.uuid4().bytes).decode(),
    }
    if data is not None:
        status["data"] = base64.b64encode(data.encode()).decode()
    return status


sent_uuids = set()
acked = 0


def update(task_id, state, data=None):
    status = status_of(task_id, state, data)
    sent_uuids.add(status["uuid"])
    call("UPDATE", update={"status": status})


resubscribe = None


def message(text):
    call("MESSAGE", message={"data": base64.b64encode(text.encode()).decode()})


def records(resp):
    while True:
        line = b""
        while not line.endswith(b"\n"):
            ch = resp.read(1)
            if not ch:
                return
            line += ch
        yield json.loads(resp.read(int(line)))


def launch(task):
    update(task["task_id"], "TASK_RUNNING")
    message("hello " + task["task_id"]["value"])
    what = base64.b64decode(task.get("data", "")).decode()
    if what == "finish":
        update(task["task_id"], "TASK_FINISHED", "done")
    elif what == "exit":
        sys.exit(7)
    elif what == "resubscribe":
        global resubscribe
        finished = status_of(task["task_id"], "TASK_FINISHED", "after resubscribe")
        resubscribe = {"unacknowledged_tasks": [task],
                       "unacknowledged_updates": [{"status": finished}]}


def subscribe(payload):
    conn = http.client.HTTPConnection(host, int(port), timeout=3600)
    conn.request("POST", path, json.dumps({"framework_id": {"value": fw}, "executor_id": {"value": ex},
                                           "type": "SUBSCRIBE", "subscribe": payload}),
                 {"Content-Type": "application/json", "Accept": "application/json"})
    resp = conn.getresponse()
    if resp.status != 200:
        sys.stderr.write("subscribe failed: %d %s\n" % (resp.status, resp.read()))
        sys.exit(2)
    return conn, records(resp)


def events():
    global resubscribe
    conn, stream = subscribe({})
    while True:
        event = next(stream, None)
        if event is None:
            return
        yield event
        if resubscribe is not None:
            conn.close()
            conn, stream = subscribe(resubscribe)
            resubscribe = None


for event in events():
    kind = event.get("type")
    if kind == "LAUNCH":
        launch(event["launch"]["task"])
    elif kind == "LAUNCH_GROUP":
        for task in event["launch_group"]["task_group"]["tasks"]:
            launch(task)
    elif kind == "KILL":
        update(event["kill"]["task_id"], "TASK_KILLED")
    elif kind == "ACKNOWLEDGED":
        if event["acknowledged"]["uuid"] in sent_uuids:
            acked += 1
    elif kind == "MESSAGE":
        text = base64.b64decode(event["message"]["data"]).decode()
        if text == "acks?":
            message("acks:%d" % acked)
        else:
            message("echo:" + text)
    elif kind == "SHUTDOWN":
        sys.exit(0)
