//! [`TaskSpec`]: what the user submits. The runtime turns it into a Mesos `TaskInfo` once
//! an offer fits, and again (with a new task id) for each retry.

use crate::proto::framework_info::capability::Type as Capability;
use crate::proto::{CommandInfo, ContainerInfo, ExecutorInfo, FrameworkInfo, Label, Labels};
use crate::scheduler::offer_matcher::placement::Constraint;
use std::collections::BTreeMap;
use std::time::Duration;

/// A task to run: its name, the resources it needs, what to run (a command or a custom
/// executor), its payload, placement constraints and retry policy.
///
/// ```
/// use mesos_actix::scheduler::TaskSpec;
/// let spec = TaskSpec::new("hello").cpus(0.1).mem(32.0).ports(1).command("echo hi").retries(2);
/// assert_eq!(spec.resources.scalars["cpus"], 0.1);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskSpec {
    /// Human-readable name; also the prefix of every task id generated for it.
    pub name: String,
    /// What the task needs from an offer.
    pub resources: ResourceRequest,
    /// A command for Mesos' built-in command executor (exclusive with `executor`).
    pub command: Option<CommandInfo>,
    /// A custom executor to run the task (exclusive with `command`).
    pub executor: Option<Box<ExecutorInfo>>,
    /// Container settings for the task, passed through unchanged.
    pub container: Option<Box<ContainerInfo>>,
    /// Opaque bytes handed to the executor in `TaskInfo.data`.
    pub data: Option<Vec<u8>>,
    /// Key/value labels copied into `TaskInfo.labels`.
    pub labels: Vec<(String, String)>,
    /// Where the task may run.
    pub constraints: Vec<Constraint>,
    /// What happens when the task fails or is lost.
    pub retry: RetryPolicy,
    /// Grace period between SIGTERM and SIGKILL when the task is killed.
    pub kill_grace_period: Option<Duration>,
    /// The role whose offers may be used (any of the framework's roles when `None`).
    pub role: Option<String>,
}

/// The resources a task asks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceRequest {
    /// Scalars by name: `cpus`, `mem` (MB), `disk` (MB), `gpus`, or any custom scalar.
    pub scalars: BTreeMap<String, f64>,
    /// How many values to take from each ranges resource (for `ports`, how many ports);
    /// the matcher picks concrete values from the offer.
    pub ranges: BTreeMap<String, u64>,
    /// How many items to take from each set resource.
    pub sets: BTreeMap<String, usize>,
}

/// When and how often a task is launched again after it ends badly.
///
/// A launch that never happened does not count: a task whose ACCEPT the master refused or
/// could not get, or that it dropped as TASK_LOST / TASK_DROPPED with
/// `REASON_INVALID_OFFERS` (its offer was rescinded first), goes back to the queue under the
/// same task id, unseen by your update handler (counted in `metrics().tasks.requeued`).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Relaunches allowed after the first attempt (0: never retry).
    pub max_retries: u32,
    /// Relaunch after TASK_FAILED (TASK_LOST, TASK_DROPPED, TASK_ERROR, TASK_GONE and
    /// TASK_GONE_BY_OPERATOR always count; TASK_KILLED and TASK_FINISHED never do).
    pub retry_failed: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 0,
            retry_failed: true,
        }
    }
}

impl TaskSpec {
    /// A spec named `name` with no resources and nothing to run yet.
    pub fn new(name: impl Into<String>) -> Self {
        TaskSpec {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Asks for `value` of the scalar resource `name`.
    pub fn scalar(mut self, name: impl Into<String>, value: f64) -> Self {
        self.resources.scalars.insert(name.into(), value);
        self
    }

    /// Asks for `cpus`.
    pub fn cpus(self, cpus: f64) -> Self {
        self.scalar("cpus", cpus)
    }

    /// Asks for `mem`, in MB.
    pub fn mem(self, mb: f64) -> Self {
        self.scalar("mem", mb)
    }

    /// Asks for `disk`, in MB.
    pub fn disk(self, mb: f64) -> Self {
        self.scalar("disk", mb)
    }

    /// Asks for `gpus` (the framework needs the GPU_RESOURCES capability).
    pub fn gpus(self, gpus: f64) -> Self {
        self.scalar("gpus", gpus)
    }

    /// Asks for `count` ports from the offer's `ports` ranges.
    pub fn ports(mut self, count: u64) -> Self {
        self.resources.ranges.insert("ports".into(), count);
        self
    }

    /// Runs `shell_command` with `/bin/sh -c` under Mesos' command executor.
    pub fn command(mut self, shell_command: impl Into<String>) -> Self {
        self.command = Some(CommandInfo {
            value: Some(shell_command.into()),
            shell: Some(true),
            ..Default::default()
        });
        self.executor = None;
        self
    }

    /// Runs the task under a custom executor.
    pub fn executor(mut self, executor: ExecutorInfo) -> Self {
        self.executor = Some(Box::new(executor));
        self.command = None;
        self
    }

    /// Sets `TaskInfo.data`.
    pub fn data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// Adds a label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }

    /// Adds a placement constraint.
    pub fn constraint(mut self, constraint: Constraint) -> Self {
        self.constraints.push(constraint);
        self
    }

    /// Allows `max_retries` relaunches after failure or loss.
    pub fn retries(mut self, max_retries: u32) -> Self {
        self.retry.max_retries = max_retries;
        self
    }

    /// Sets the kill grace period.
    pub fn kill_grace_period(mut self, grace: Duration) -> Self {
        self.kill_grace_period = Some(grace);
        self
    }

    /// Runs the task in this container.
    pub fn container(mut self, container: ContainerInfo) -> Self {
        self.container = Some(Box::new(container));
        self
    }

    /// Restricts the task to offers of `role`.
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Checks the spec is launchable: a name, exactly one of command or executor, no
    /// negative or non-finite resource amounts.
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.name.is_empty() {
            return Err(SpecError::EmptyName);
        }
        match (&self.command, &self.executor) {
            (None, None) => return Err(SpecError::NothingToRun(self.name.clone())),
            (Some(_), Some(_)) => return Err(SpecError::CommandAndExecutor(self.name.clone())),
            _ => {}
        }
        for (name, value) in &self.resources.scalars {
            if !value.is_finite() || *value < 0.0 {
                return Err(SpecError::BadAmount {
                    task: self.name.clone(),
                    resource: name.clone(),
                    amount: *value,
                });
            }
        }
        Ok(())
    }

    /// [`TaskSpec::validate`], then what Mesos would reject or ignore for the framework
    /// described by `info`: some resource at all, a [`TaskSpec::role`] only with the
    /// MULTI_ROLE capability and one of the framework's roles, `gpus` only with the
    /// GPU_RESOURCES capability. `Framework::submit` and `submit_all` run it.
    ///
    /// ```
    /// use mesos_actix::proto::FrameworkInfo;
    /// use mesos_actix::scheduler::{SpecError, TaskSpec};
    /// let info = FrameworkInfo::new("fw");
    /// let spec = TaskSpec::new("t").cpus(1.0).gpus(1.0).command("true");
    /// assert!(matches!(spec.validate_for(&info), Err(SpecError::GpusWithoutCapability { .. })));
    /// ```
    pub fn validate_for(&self, info: &FrameworkInfo) -> Result<(), SpecError> {
        self.validate()?;
        SpecRules::of(info).check(self)
    }

    /// The labels as Mesos `Labels`, if any.
    pub(crate) fn mesos_labels(&self) -> Option<Labels> {
        (!self.labels.is_empty()).then(|| Labels {
            labels: self
                .labels
                .iter()
                .map(|(k, v)| Label {
                    key: k.clone(),
                    value: Some(v.clone()),
                })
                .collect(),
        })
    }
}

/// Shares one copy of specs that differ only in their names: the tracker keeps a task's
/// name apart and its spec through this, so a thousand tasks of a few shapes hold a few
/// specs, not a thousand. Entries no task uses any more are dropped once the table has
/// doubled since the last sweep, so it stays within twice the live shapes (plus 64).
#[derive(Debug)]
pub(crate) struct SpecInterner {
    /// The hash of a nameless spec's cheap parts -> that spec (specs with the same hash
    /// but other contents are simply not shared).
    specs: foldhash::HashMap<u64, std::sync::Arc<TaskSpec>>,
    hasher: foldhash::fast::FixedState,
    sweep_at: usize,
}

impl Default for SpecInterner {
    fn default() -> Self {
        SpecInterner {
            specs: Default::default(),
            hasher: foldhash::fast::FixedState::default(),
            sweep_at: 64,
        }
    }
}

impl SpecInterner {
    /// Splits `spec` into its name and its nameless rest, shared with any equal one seen
    /// before.
    pub(crate) fn intern(
        &mut self,
        mut spec: TaskSpec,
    ) -> (std::sync::Arc<str>, std::sync::Arc<TaskSpec>) {
        use std::sync::Arc;
        let name = Arc::from(std::mem::take(&mut spec.name));
        let h = self.hash(&spec);
        if let Some(shared) = self.specs.get(&h)
            && **shared == spec
        {
            return (name, Arc::clone(shared));
        }
        let spec = Arc::new(spec);
        if self.specs.len() >= self.sweep_at {
            self.specs.retain(|_, s| Arc::strong_count(s) > 1);
            self.sweep_at = (self.specs.len() * 2).max(64);
        }
        self.specs.insert(h, Arc::clone(&spec));
        (name, spec)
    }

    /// A hash of the parts of `spec` that are cheap to hash (equality decides).
    fn hash(&self, spec: &TaskSpec) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = self.hasher.build_hasher();
        let r = &spec.resources;
        for (name, value) in &r.scalars {
            name.hash(&mut h);
            value.to_bits().hash(&mut h);
        }
        r.ranges.hash(&mut h);
        r.sets.hash(&mut h);
        spec.command.as_ref().map(|c| &c.value).hash(&mut h);
        spec.executor
            .as_ref()
            .map(|e| &e.executor_id.value)
            .hash(&mut h);
        spec.data.hash(&mut h);
        spec.labels.hash(&mut h);
        spec.constraints.len().hash(&mut h);
        spec.retry.max_retries.hash(&mut h);
        spec.kill_grace_period.hash(&mut h);
        spec.role.hash(&mut h);
        h.finish()
    }
}

/// What the framework allows a [`TaskSpec`] to ask for (its roles and capabilities),
/// kept by the framework handle to check each submit.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpecRules {
    multi_role: bool,
    roles: Vec<String>,
    gpus: bool,
}

impl SpecRules {
    /// The rules of the framework described by `info`.
    pub(crate) fn of(info: &FrameworkInfo) -> SpecRules {
        SpecRules {
            multi_role: info.has_capability(Capability::MultiRole),
            roles: info.roles.clone(),
            gpus: info.has_capability(Capability::GpuResources),
        }
    }

    /// Checks `spec` against the rules (see [`TaskSpec::validate_for`]).
    pub(crate) fn check(&self, spec: &TaskSpec) -> Result<(), SpecError> {
        let r = &spec.resources;
        let any = r.scalars.values().any(|v| *v > 0.0)
            || r.ranges.values().any(|n| *n > 0)
            || r.sets.values().any(|n| *n > 0);
        if !any {
            return Err(SpecError::NoResources(spec.name.clone()));
        }
        if let Some(role) = &spec.role {
            if !self.multi_role {
                return Err(SpecError::RoleWithoutMultiRole {
                    task: spec.name.clone(),
                    role: role.clone(),
                });
            }
            if !self.roles.contains(role) {
                return Err(SpecError::UnknownRole {
                    task: spec.name.clone(),
                    role: role.clone(),
                    roles: self.roles.clone(),
                });
            }
        }
        if !self.gpus && r.scalars.get("gpus").is_some_and(|g| *g > 0.0) {
            return Err(SpecError::GpusWithoutCapability {
                task: spec.name.clone(),
            });
        }
        Ok(())
    }
}

/// Why a [`TaskSpec`] cannot be launched (from [`TaskSpec::validate`] and
/// [`TaskSpec::validate_for`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// The spec has an empty name.
    #[error("task spec has an empty name")]
    EmptyName,
    /// The spec (named here) has neither a command nor an executor.
    #[error("task {0:?} has neither a command nor an executor")]
    NothingToRun(String),
    /// The spec (named here) has both a command and an executor.
    #[error("task {0:?} has both a command and an executor")]
    CommandAndExecutor(String),
    /// A scalar resource amount is negative or not finite.
    #[error("task {task:?} asks for {amount} {resource}")]
    BadAmount {
        /// The task's name.
        task: String,
        /// The resource's name.
        resource: String,
        /// The amount asked for.
        amount: f64,
    },
    /// The spec (named here) asks for no resources at all (Mesos rejects such a task).
    #[error("task {0:?} asks for no resources (give it cpus, mem, ...)")]
    NoResources(String),
    /// The spec names a role but the framework lacks the MULTI_ROLE capability (Mesos
    /// would ignore the role).
    #[error(
        "task {task:?} asks for role {role:?} but the framework is not MULTI_ROLE (declare roles with FrameworkBuilder::roles)"
    )]
    RoleWithoutMultiRole {
        /// The task's name.
        task: String,
        /// The role asked for.
        role: String,
    },
    /// The spec names a role the framework did not subscribe with.
    #[error("task {task:?} asks for role {role:?}, not one of the framework's roles {roles:?}")]
    UnknownRole {
        /// The task's name.
        task: String,
        /// The role asked for.
        role: String,
        /// The framework's roles.
        roles: Vec<String>,
    },
    /// The spec asks for `gpus` but the framework lacks the GPU_RESOURCES capability (no
    /// offer would ever carry GPUs).
    #[error("task {task:?} asks for gpus but the framework lacks the GPU_RESOURCES capability")]
    GpusWithoutCapability {
        /// The task's name.
        task: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_validation() {
        let spec = TaskSpec::new("t")
            .cpus(1.0)
            .mem(64.0)
            .ports(2)
            .command("true");
        assert!(spec.validate().is_ok());
        assert_eq!(spec.resources.ranges["ports"], 2);
        assert!(TaskSpec::new("t").validate().is_err());
        assert!(
            TaskSpec::new("t")
                .cpus(-1.0)
                .command("x")
                .validate()
                .is_err()
        );
        assert!(
            TaskSpec::new("t")
                .cpus(f64::NAN)
                .command("x")
                .validate()
                .is_err()
        );
        assert_eq!(
            TaskSpec::new("").command("x").validate(),
            Err(SpecError::EmptyName)
        );
        assert_eq!(
            TaskSpec::new("t").validate(),
            Err(SpecError::NothingToRun("t".into()))
        );
    }

    #[test]
    fn specs_differing_only_in_name_are_shared() {
        let mut interner = SpecInterner::default();
        let spec = |name: &str, cpus: f64| TaskSpec::new(name).cpus(cpus).command("true");
        let (a_name, a) = interner.intern(spec("a", 1.0));
        let (b_name, b) = interner.intern(spec("b", 1.0));
        let (_, c) = interner.intern(spec("c", 2.0));
        assert_eq!((&*a_name, &*b_name), ("a", "b"));
        assert!(std::sync::Arc::ptr_eq(&a, &b));
        assert!(!std::sync::Arc::ptr_eq(&a, &c));
        assert_eq!(*c, spec("", 2.0));
        // Unused shapes are swept: the table stays bounded.
        drop((a, b, c));
        for i in 0..1000 {
            let _ = interner.intern(spec("x", f64::from(i)));
        }
        assert!(interner.specs.len() <= 64);
    }
}
