//! The builder's framework-id store: which store is used, and the id resumed from it (see
//! [`FrameworkIdStore`]).

use super::FrameworkBuilder;
use crate::proto::FrameworkInfo;
use crate::scheduler::RuntimeConfig;
use crate::scheduler::framework_id_store::{
    FileFrameworkIdStore, FrameworkIdStore, FrameworkIdStoreError,
};
use std::sync::Arc;

impl FrameworkBuilder {
    /// Keeps the framework id in `store` between runs of the scheduler process (instead
    /// of a [`RuntimeConfig::framework_id_file`]). At start the stored id, if any, is
    /// resumed (unless [`framework_id`](Self::framework_id) was given): within the
    /// framework's `failover_timeout` the same framework is subscribed and the tasks the
    /// previous process left are adopted; once Mesos has removed it, a new framework is
    /// subscribed. See [`FrameworkIdStore`] for when it is saved and
    /// cleared.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), mesos_actix::scheduler::FrameworkError> {
    /// use mesos_actix::proto::FrameworkInfo;
    /// use mesos_actix::scheduler::{FileFrameworkIdStore, Framework};
    /// use std::time::Duration;
    /// let framework = Framework::builder(FrameworkInfo::new("svc"))
    ///     .failover_timeout(Duration::from_secs(7 * 24 * 3600))
    ///     .framework_id_store(FileFrameworkIdStore::new("/var/lib/svc/framework.id"))
    ///     .start()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn framework_id_store(mut self, store: impl FrameworkIdStore) -> Self {
        self.id_store = Some(Arc::new(store));
        self
    }
}

/// The store in use (the builder's, else a file store at
/// [`RuntimeConfig::framework_id_file`]), after loading its id into `info.id` when the
/// builder was given none.
pub(super) fn resume(
    store: Option<Arc<dyn FrameworkIdStore>>,
    config: &RuntimeConfig,
    info: &mut FrameworkInfo,
) -> Result<Option<Arc<dyn FrameworkIdStore>>, FrameworkIdStoreError> {
    let store = store.or_else(|| {
        let file = config.framework_id_file.clone()?;
        Some(Arc::new(FileFrameworkIdStore::new(file)) as Arc<dyn FrameworkIdStore>)
    });
    if let (None, Some(store)) = (&info.id, &store) {
        info.id = store.load()?;
    }
    Ok(store)
}
