//! TaskTracker memory: what one tracked task costs, measured with a counting allocator.
//! The spec itself is the user's data (shared with the matcher); the tracker's own
//! bookkeeping must stay within 1 KiB per task.

use actix::prelude::*;
use mesos_actix::__internals::master_connection::{CallError, SendCall};
use mesos_actix::__internals::offer_matcher::{Place, Unplace};
use mesos_actix::__internals::task_tracker::{Launched, LaunchedAll, UpdateReceived};
use mesos_actix::__internals::task_tracker::{ListTasks, TaskTracker, Track, TrackerSettings};
use mesos_actix::proto::{TaskId, TaskState, TaskStatus};
use mesos_actix::scheduler::TaskSpec;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

struct Counting;
static IN_USE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        IN_USE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Drops everything it is sent: only the tracker's own memory is measured.
struct Sink;
impl Actor for Sink {
    type Context = Context<Self>;
}
impl Handler<SendCall> for Sink {
    type Result = Result<(), CallError>;
    fn handle(&mut self, _: SendCall, _: &mut Context<Self>) -> Self::Result {
        Ok(())
    }
}
impl Handler<Place> for Sink {
    type Result = ();
    fn handle(&mut self, _: Place, _: &mut Context<Self>) {}
}
impl Handler<Unplace> for Sink {
    type Result = bool;
    fn handle(&mut self, _: Unplace, _: &mut Context<Self>) -> bool {
        false
    }
}

#[actix_rt::test]
async fn bookkeeping_is_at_most_one_kib_per_task() {
    const N: usize = 2000;
    let spec = |n: usize| {
        TaskSpec::new(format!("crawl-board-{n}"))
            .cpus(0.1)
            .mem(64.0)
            .command("python3 crawl.py")
    };
    // What the specs themselves take (the user's data, shared with the matcher by `Arc`).
    let before = IN_USE.load(Ordering::SeqCst);
    let specs: Vec<_> = (0..N).map(|n| std::sync::Arc::new(spec(n))).collect();
    let spec_cost = (IN_USE.load(Ordering::SeqCst) - before) / N as isize;
    drop(specs);

    let sink = Sink.start();
    let tracker = TaskTracker::new(
        TrackerSettings {
            implicit_reconcile: Duration::ZERO,
            ..TrackerSettings::default()
        },
        sink.clone().recipient(),
        sink.clone().recipient(),
        sink.recipient(),
        Vec::new(),
    )
    .start();
    // Warm up (lazy statics, mailbox buffers).
    tracker.send(ListTasks).await.unwrap();
    let before = IN_USE.load(Ordering::SeqCst);
    for n in 0..N {
        let id: TaskId = tracker.send(Track(spec(n))).await.unwrap().unwrap();
        tracker
            .send(LaunchedAll(vec![Launched {
                task_id: id.clone(),
                agent_id: "0b6c3f1e-2c1f-4a4e-9e1a-6a3f6d1c2b7e-S12".into(),
                hostname: "agent-12.cluster.example.com".into(),
                offer_id: "o".into(),
                executor_id: None,
            }]))
            .await
            .unwrap();
        tracker
            .send(UpdateReceived(TaskStatus {
                task_id: id,
                state: TaskState::TaskRunning as i32,
                ..Default::default()
            }))
            .await
            .unwrap();
    }
    assert_eq!(tracker.send(ListTasks).await.unwrap().len(), N);
    let per_task = (IN_USE.load(Ordering::SeqCst) - before) / N as isize;
    let own = per_task - spec_cost;
    println!("{per_task} bytes per tracked task, of which {spec_cost} are its Arc<TaskSpec>");
    assert!(
        own <= 1024,
        "the tracker keeps {own} bytes per task besides the spec"
    );
}
