//! The indexed queue of pending tasks.
//!
//! Tasks with the same placement needs (demand, executor, role, constraints) share a
//! *bucket*, a FIFO of task sequence numbers. Only each bucket's head is indexed, by its
//! sequence number, so a matching round visits tasks in submission order but tries each
//! shape once per offer: a bucket that does not fit is skipped whole.

use super::Queued;
use super::accept_bytes::SpecBytes;
use crate::proto::{ExecutorId, Resource, TaskId};
use crate::resources::{Demand, ResourceError};
use crate::scheduler::offer_matcher::placement::Constraint;
use crate::scheduler::spec::{ResourceRequest, TaskSpec};
use foldhash::HashMap;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, VecDeque};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

/// One pending task.
#[derive(Debug)]
pub(super) struct Pending {
    pub task_id: TaskId,
    /// The spec's name (the shared `spec`'s own name is not read).
    pub name: Arc<str>,
    pub spec: Arc<TaskSpec>,
    /// The spec's fixed `TaskInfo` fields (shared by the bucket's tasks of the same spec).
    pub bytes: SpecBytes,
    /// The first matching round that may place it (for `why_pending`).
    pub since_round: u64,
    pub bucket: usize,
}

/// Tasks with identical placement needs.
#[derive(Debug)]
pub(super) struct Bucket {
    key: BucketKey,
    /// The task's own demand.
    pub demand: Demand,
    /// Its executor's own resources (empty without a custom executor).
    pub exec_demand: Demand,
    /// `demand + exec_demand`: what an agent without the executor must have.
    pub with_executor: Demand,
    pub executor_id: Option<ExecutorId>,
    pub role: Option<String>,
    pub constraints: Vec<Constraint>,
    /// Some constraint counts same-named tasks per host.
    pub counts_per_host: bool,
    tasks: VecDeque<u64>,
    /// The request exactly as the first task of the bucket gave it, for the fast lookup
    /// (`None` for buckets with constraints, which always take the slow path).
    request: Option<ResourceRequest>,
    /// Its executor's resources as given, for the fast lookup.
    exec_resources: Vec<Resource>,
    /// Its entry in the fast lookup, if it has one.
    fast_key: Option<u64>,
    /// The spec of the latest task queued here and its encoded fixed fields, shared with
    /// the next tasks of that spec.
    last_spec: Option<(Arc<TaskSpec>, SpecBytes)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BucketKey {
    demand: Demand,
    executor: Option<(String, Demand)>,
    role: Option<String>,
    /// Spec name and constraints, when there are constraints (counts are per name).
    placement: Option<(String, String)>,
}

impl Bucket {
    /// Whether `spec` (without constraints) places exactly like this bucket's tasks.
    fn same_request(&self, spec: &TaskSpec) -> bool {
        self.request.as_ref() == Some(&spec.resources)
            && self.role == spec.role
            && match &spec.executor {
                Some(e) => {
                    self.executor_id.as_ref() == Some(&e.executor_id)
                        && self.exec_resources == e.resources
                }
                None => self.executor_id.is_none(),
            }
    }
}

/// The pending queue.
#[derive(Debug, Default)]
pub(super) struct PendingQueue {
    tasks: HashMap<u64, Pending>,
    /// Hash of a task id -> its sequence number (the id itself is only kept by the task,
    /// and compared on lookup).
    ids: HashMap<u64, u64>,
    /// The few ids whose hash a task queued earlier already had, by the whole id.
    id_collisions: HashMap<TaskId, u64>,
    buckets: Vec<Option<Bucket>>,
    free: Vec<usize>,
    index: HashMap<BucketKey, usize>,
    /// Hash of a spec's request as given -> bucket: finds the bucket of a spec like an
    /// earlier one without building its [`Demand`] (checked exactly before use).
    fast: HashMap<u64, usize>,
    /// Head sequence number -> bucket.
    ready: BTreeMap<u64, usize>,
    next_seq: u64,
    /// A lower bound of every bucket's scalar demand. Removing buckets leaves it valid
    /// (only less tight), so it is recomputed only after many removals.
    floor: Demand,
    floor_dirty: bool,
    /// Buckets removed since the floor was last computed.
    removed_since_floor: usize,
}

impl PendingQueue {
    /// Number of pending tasks.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    pub fn contains(&self, task_id: &TaskId) -> bool {
        self.seq_of(task_id).is_some()
    }

    fn id_hash(&self, task_id: &TaskId) -> u64 {
        self.ids.hasher().hash_one(task_id.value.as_str())
    }

    /// The sequence number of a pending task.
    fn seq_of(&self, task_id: &TaskId) -> Option<u64> {
        if !self.id_collisions.is_empty()
            && let Some(&seq) = self.id_collisions.get(task_id)
        {
            return Some(seq);
        }
        let seq = *self.ids.get(&self.id_hash(task_id))?;
        (self.tasks.get(&seq)?.task_id == *task_id).then_some(seq)
    }

    /// Queues a task; an error (with the task id handed back) when its resources are
    /// invalid.
    pub fn push(
        &mut self,
        Queued {
            task_id,
            name,
            spec,
        }: Queued,
        since_round: u64,
    ) -> Result<(), (TaskId, ResourceError)> {
        let fast_key = self.fast_key(&spec);
        let bucket = match fast_key.and_then(|k| Some((k, *self.fast.get(&k)?))) {
            Some((_, b)) if self.bucket(b).is_some_and(|b| b.same_request(&spec)) => b,
            _ => match self.slow_bucket(&name, &spec) {
                Ok(b) => {
                    if let Some(k) = fast_key
                        && !self.fast.contains_key(&k)
                        && let Some(Some(bucket)) = self.buckets.get_mut(b)
                        && bucket.fast_key.is_none()
                    {
                        bucket.fast_key = Some(k);
                        self.fast.insert(k, b);
                    }
                    b
                }
                Err(e) => return Err((task_id, e)),
            },
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(Some(b)) = self.buckets.get_mut(bucket) {
            if b.tasks.is_empty() {
                self.ready.insert(seq, bucket);
            }
            b.tasks.push_back(seq);
        }
        let h = self.id_hash(&task_id);
        match self.ids.entry(h) {
            Entry::Vacant(e) => {
                e.insert(seq);
            }
            Entry::Occupied(_) => {
                self.id_collisions.insert(task_id.clone(), seq);
            }
        }
        let bytes = self.spec_bytes(bucket, &spec);
        self.tasks.insert(
            seq,
            Pending {
                bytes,
                task_id,
                name,
                spec,
                since_round,
                bucket,
            },
        );
        Ok(())
    }

    /// The encoded fixed fields of `spec`, shared with the bucket's previous task when it
    /// has the same spec.
    fn spec_bytes(&mut self, bucket: usize, spec: &Arc<TaskSpec>) -> SpecBytes {
        let Some(Some(b)) = self.buckets.get_mut(bucket) else {
            return SpecBytes::of(spec);
        };
        match &b.last_spec {
            Some((last, bytes)) if Arc::ptr_eq(last, spec) => bytes.clone(),
            _ => {
                let bytes = SpecBytes::of(spec);
                b.last_spec = Some((Arc::clone(spec), bytes.clone()));
                bytes
            }
        }
    }

    /// The hash of what places `spec`, for specs without constraints.
    fn fast_key(&self, spec: &TaskSpec) -> Option<u64> {
        if !spec.constraints.is_empty() {
            return None;
        }
        let mut h = self.fast.hasher().build_hasher();
        let r = &spec.resources;
        for (name, value) in &r.scalars {
            name.hash(&mut h);
            value.to_bits().hash(&mut h);
        }
        0xffu8.hash(&mut h);
        r.ranges.hash(&mut h);
        r.sets.hash(&mut h);
        spec.role.hash(&mut h);
        spec.executor
            .as_ref()
            .map(|e| &e.executor_id.value)
            .hash(&mut h);
        Some(h.finish())
    }

    /// Finds or makes the bucket of `spec` by its normalized [`BucketKey`].
    fn slow_bucket(&mut self, name: &str, spec: &TaskSpec) -> Result<usize, ResourceError> {
        let demand = Demand::from_request(&spec.resources)?;
        let (exec_demand, executor) = match &spec.executor {
            Some(e) => {
                let d = Demand::from_resources(&e.resources)?;
                (d.clone(), Some((e.executor_id.value.clone(), d)))
            }
            None => (Demand::default(), None),
        };
        let placement = (!spec.constraints.is_empty())
            .then(|| (name.to_owned(), format!("{:?}", spec.constraints)));
        let key = BucketKey {
            demand,
            executor,
            role: spec.role.clone(),
            placement,
        };
        Ok(match self.index.get(&key) {
            Some(&b) => b,
            None => self.new_bucket(key, exec_demand, spec),
        })
    }

    fn new_bucket(&mut self, key: BucketKey, exec_demand: Demand, spec: &TaskSpec) -> usize {
        let demand = key.demand.clone();
        let bucket = Bucket {
            with_executor: demand.plus(&exec_demand),
            demand,
            exec_demand,
            executor_id: spec.executor.as_ref().map(|e| e.executor_id.clone()),
            role: spec.role.clone(),
            constraints: spec.constraints.clone(),
            counts_per_host: spec.constraints.iter().any(Constraint::counts_per_host),
            tasks: VecDeque::new(),
            key: key.clone(),
            request: spec.constraints.is_empty().then(|| spec.resources.clone()),
            exec_resources: spec
                .executor
                .as_ref()
                .map(|e| e.resources.clone())
                .unwrap_or_default(),
            fast_key: None,
            last_spec: None,
        };
        if !self.floor_dirty {
            self.floor = if self.index.is_empty() {
                bucket.demand.scalar_floor(&bucket.demand)
            } else {
                self.floor.scalar_floor(&bucket.demand)
            };
        }
        let id = match self.free.pop() {
            Some(id) => {
                if let Some(slot) = self.buckets.get_mut(id) {
                    *slot = Some(bucket);
                }
                id
            }
            None => {
                self.buckets.push(Some(bucket));
                self.buckets.len() - 1
            }
        };
        self.index.insert(key, id);
        id
    }

    pub fn bucket(&self, id: usize) -> Option<&Bucket> {
        self.buckets.get(id).and_then(Option::as_ref)
    }

    /// The pending task and its bucket.
    pub fn get(&self, task_id: &TaskId) -> Option<(&Pending, &Bucket)> {
        let p = self.tasks.get(&self.seq_of(task_id)?)?;
        Some((p, self.bucket(p.bucket)?))
    }

    /// The first bucket head at or after sequence number `from`.
    pub fn next_ready(&self, from: u64) -> Option<(u64, usize)> {
        self.ready.range(from..).next().map(|(s, b)| (*s, *b))
    }

    /// The head task of a bucket.
    pub fn head(&self, bucket: usize) -> Option<&Pending> {
        let b = self.bucket(bucket)?;
        self.tasks.get(b.tasks.front()?)
    }

    /// Removes and returns the head of a bucket.
    pub fn pop_head(&mut self, bucket: usize) -> Option<Pending> {
        let seq = *self.bucket(bucket)?.tasks.front()?;
        self.remove_seq(seq)
    }

    /// Removes a task wherever it is in the queue.
    pub fn remove(&mut self, task_id: &TaskId) -> Option<Pending> {
        let seq = self.seq_of(task_id)?;
        self.remove_seq(seq)
    }

    fn remove_seq(&mut self, seq: u64) -> Option<Pending> {
        let p = self.tasks.remove(&seq)?;
        let h = self.id_hash(&p.task_id);
        if self.ids.get(&h) == Some(&seq) {
            self.ids.remove(&h);
        } else {
            self.id_collisions.remove(&p.task_id);
        }
        let bucket_id = p.bucket;
        let Some(Some(b)) = self.buckets.get_mut(bucket_id) else {
            return Some(p);
        };
        let was_head = b.tasks.front() == Some(&seq);
        if was_head {
            b.tasks.pop_front();
        } else if let Some(pos) = b.tasks.iter().position(|s| *s == seq) {
            b.tasks.remove(pos);
        }
        if was_head {
            self.ready.remove(&seq);
            if let Some(&next) = b.tasks.front() {
                self.ready.insert(next, bucket_id);
            }
        }
        if b.tasks.is_empty() {
            if let Some(slot) = self.buckets.get_mut(bucket_id)
                && let Some(old) = slot.take()
            {
                self.index.remove(&old.key);
                if let Some(k) = old.fast_key {
                    self.fast.remove(&k);
                }
            }
            self.free.push(bucket_id);
            self.removed_since_floor += 1;
            if self.removed_since_floor > 16 + self.index.len() {
                self.floor_dirty = true;
            }
        }
        Some(p)
    }

    /// Moves the floor out (see [`PendingQueue::floor`]); give it back with
    /// [`PendingQueue::restore_floor`].
    pub fn take_floor(&mut self) -> Demand {
        self.floor();
        std::mem::take(&mut self.floor)
    }

    /// Puts a floor taken with [`PendingQueue::take_floor`] back, unless the queue changed
    /// shape since.
    pub fn restore_floor(&mut self, floor: Demand) {
        if !self.floor_dirty {
            self.floor = floor;
        }
    }

    /// A lower bound of what any pending task needs (scalars only).
    pub fn floor(&mut self) -> &Demand {
        if self.floor_dirty {
            let mut it = self.buckets.iter().flatten();
            self.floor = match it.next() {
                None => Demand::default(),
                Some(first) => it.fold(first.demand.clone(), |acc, b| acc.scalar_floor(&b.demand)),
            };
            self.floor_dirty = false;
            self.removed_since_floor = 0;
        }
        &self.floor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(cpus: f64) -> Arc<TaskSpec> {
        Arc::new(TaskSpec::new("t").cpus(cpus).mem(10.0).command("true"))
    }

    /// A queue entry of `spec` under `id`.
    fn task(id: impl Into<String>, spec: Arc<TaskSpec>) -> Queued {
        Queued {
            task_id: TaskId::new(id),
            name: Arc::from(spec.name.as_str()),
            spec,
        }
    }

    #[test]
    fn buckets_keep_submission_order() {
        let mut q = PendingQueue::default();
        let (a, b) = (spec(1.0), spec(2.0));
        q.push(task("a1", a.clone()), 0).unwrap();
        q.push(task("b1", b.clone()), 0).unwrap();
        q.push(task("a2", a.clone()), 0).unwrap();
        assert_eq!(q.len(), 3);
        assert_eq!(q.buckets.iter().flatten().count(), 2);
        let (s0, b0) = q.next_ready(0).unwrap();
        let (s1, b1) = q.next_ready(s0 + 1).unwrap();
        assert_ne!(b0, b1);
        assert!(q.next_ready(s1 + 1).is_none());
        assert_eq!(q.pop_head(b0).unwrap().task_id, TaskId::new("a1"));
        // a2 is now the head of bucket a, after b1.
        let (s2, b2) = q.next_ready(s1 + 1).unwrap();
        assert_eq!((s2, b2), (2, b0));
        assert_eq!(q.floor().scalars[0].1.milli(), 1000);
        q.remove(&TaskId::new("a2")).unwrap();
        // Still a lower bound (recomputed lazily after many removals).
        assert!(q.floor().scalars[0].1.milli() <= 2000);
        assert!(q.remove(&TaskId::new("a2")).is_none());
        q.remove(&TaskId::new("b1")).unwrap();
        assert!(q.is_empty());
        assert!(q.next_ready(0).is_none());
        // A new bucket in an empty queue sets the floor afresh.
        q.push(task("c", spec(3.0)), 0).unwrap();
        assert_eq!(q.floor().scalars[0].1.milli(), 3000);
    }

    #[test]
    fn ids_with_a_taken_hash() {
        let mut q = PendingQueue::default();
        let a = spec(1.0);
        q.push(task("a", a.clone()), 0).unwrap();
        // Another id with the hash of "b" (as if it collided).
        let h = q.id_hash(&TaskId::new("b"));
        let seq_a = *q.ids.values().next().unwrap();
        q.ids.insert(h, seq_a);
        q.push(task("b", a.clone()), 0).unwrap();
        assert!(q.contains(&TaskId::new("a")));
        assert!(q.contains(&TaskId::new("b")));
        assert_eq!(q.get(&TaskId::new("b")).unwrap().0.task_id.value, "b");
        assert!(!q.contains(&TaskId::new("c")));
        assert_eq!(q.remove(&TaskId::new("b")).unwrap().task_id.value, "b");
        assert!(q.id_collisions.is_empty());
        assert!(!q.contains(&TaskId::new("b")));
    }

    #[test]
    fn tasks_of_one_spec_share_its_bytes() {
        let mut q = PendingQueue::default();
        let a = spec(1.0);
        q.push(task("a1", a.clone()), 0).unwrap();
        q.push(task("a2", a.clone()), 0).unwrap();
        let (p1, _) = q.get(&TaskId::new("a1")).unwrap();
        let (p2, _) = q.get(&TaskId::new("a2")).unwrap();
        assert!(p1.bytes.same(&p2.bytes));
    }

    #[test]
    fn removing_from_the_middle() {
        let mut q = PendingQueue::default();
        let a = spec(1.0);
        for i in 0..3 {
            q.push(task(format!("a{i}"), a.clone()), 0).unwrap();
        }
        q.remove(&TaskId::new("a1")).unwrap();
        let (_, b) = q.next_ready(0).unwrap();
        assert_eq!(q.pop_head(b).unwrap().task_id.value, "a0");
        assert_eq!(q.pop_head(b).unwrap().task_id.value, "a2");
        assert!(q.is_empty());
        let bad = Arc::new(TaskSpec::new("x").cpus(f64::NAN).command("true"));
        assert!(q.push(task("x", bad), 0).is_err());
        assert!(q.is_empty());
    }
}
