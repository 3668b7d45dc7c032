//! The crawl queue, as plain state (no actors, no I/O), so it is tested on its own:
//!
//! - every admitted user becomes two tasks, `profile.<n>.<user>` and `boards.<n>.<user>`;
//! - with `follow`, users discovered by a task join, up to `max_users` in all, each once;
//! - a task's result may arrive twice (in the terminal status update's `data` and as a
//!   framework message): the first is kept, later ones are dropped;
//! - a result with a transient error that is not final is ignored (the runtime retries);
//! - a task that ends for good without any result counts as failed.

use crate::model::{FetchSettings, Record, TaskKind, TaskPayload, TaskResult};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;
use url::Url;

/// A task to submit.
#[derive(Debug, Clone, PartialEq)]
pub struct CrawlTask {
    /// The task's name (unique in the crawl; also the `TaskSpec` name).
    pub name: String,
    /// What it does.
    pub kind: TaskKind,
    /// The user's profile URL.
    pub url: String,
}

impl CrawlTask {
    /// The task's `TaskInfo.data`.
    pub fn payload(&self, fetch: &FetchSettings) -> TaskPayload {
        TaskPayload {
            task: self.name.clone(),
            kind: self.kind,
            url: self.url.clone(),
            fetch: fetch.clone(),
        }
    }
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Ok,
    Failed(String),
}

#[derive(Debug)]
struct User {
    url: String,
    tasks: [String; 2],
}

/// What the crawl did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// Users crawled (admitted).
    pub users: usize,
    /// Users whose profile and board list were read.
    pub users_ok: usize,
    /// Users with a failed task: (profile URL, why).
    pub failed_users: Vec<(String, String)>,
    /// Profiles read.
    pub profiles: usize,
    /// Boards read.
    pub boards: usize,
    /// Board pages that could not be read.
    pub board_errors: usize,
    /// Duplicate results dropped.
    pub duplicates: usize,
    /// Users found but not crawled because of `max_users`.
    pub skipped_users: usize,
    /// Wall time.
    pub elapsed: Duration,
}

impl Summary {
    /// The process exit code: 0 when every user succeeded, else 1.
    pub fn exit_code(&self) -> i32 {
        if self.failed_users.is_empty() && self.users > 0 {
            0
        } else {
            1
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pinspider: {} users ({} ok, {} failed), {} profiles, {} boards ({} board pages failed), {} duplicate results dropped, {} users not crawled (--max-users), {:.1} s",
            self.users,
            self.users_ok,
            self.failed_users.len(),
            self.profiles,
            self.boards,
            self.board_errors,
            self.duplicates,
            self.skipped_users,
            self.elapsed.as_secs_f64()
        )?;
        for (url, why) in &self.failed_users {
            write!(f, "\n  failed: {url}: {why}")?;
        }
        Ok(())
    }
}

/// The crawl state.
#[derive(Debug)]
pub struct Crawl {
    max_users: usize,
    follow: bool,
    users: Vec<User>,
    seen: HashSet<String>,
    skipped: HashSet<String>,
    queue: VecDeque<CrawlTask>,
    task_user: HashMap<String, usize>,
    outcomes: HashMap<String, Outcome>,
    profiles: usize,
    boards: usize,
    board_errors: usize,
    duplicates: usize,
}

/// A profile URL in canonical form (no query or fragment, trailing slash).
pub fn canonical(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u.to_string()
}

impl Crawl {
    /// A crawl of `seeds` (at most `max_users` users in all).
    pub fn new(seeds: &[Url], max_users: usize, follow: bool) -> Self {
        let mut crawl = Crawl {
            max_users: max_users.max(1),
            follow,
            users: Vec::new(),
            seen: HashSet::new(),
            skipped: HashSet::new(),
            queue: VecDeque::new(),
            task_user: HashMap::new(),
            outcomes: HashMap::new(),
            profiles: 0,
            boards: 0,
            board_errors: 0,
            duplicates: 0,
        };
        for seed in seeds {
            crawl.admit(seed);
        }
        crawl
    }

    fn admit(&mut self, url: &Url) -> bool {
        let key = canonical(url);
        if self.seen.contains(&key) {
            return false;
        }
        if self.users.len() >= self.max_users {
            self.skipped.insert(key);
            return false;
        }
        self.seen.insert(key.clone());
        let n = self.users.len();
        let user = crate::extract::username_of(url).unwrap_or_else(|| "user".into());
        let tasks = [TaskKind::Profile, TaskKind::Boards].map(|kind| {
            let name = format!("{}.{n}.{user}", kind.as_str());
            self.task_user.insert(name.clone(), n);
            self.queue.push_back(CrawlTask {
                name: name.clone(),
                kind,
                url: key.clone(),
            });
            name
        });
        self.users.push(User { url: key, tasks });
        true
    }

    /// Tasks to submit now (each returned once).
    pub fn take_tasks(&mut self) -> Vec<CrawlTask> {
        self.queue.drain(..).collect()
    }

    /// A task's result arrived (`is_final`: it came with the task's last status update, so
    /// no retry follows). Returns the records to output, or `None` when the result is a
    /// duplicate, unknown, or a transient failure that will be retried.
    pub fn on_result(&mut self, result: TaskResult, is_final: bool) -> Option<Vec<Record>> {
        if !self.task_user.contains_key(&result.task) {
            tracing::warn!(task = %result.task, "result for an unknown task dropped");
            return None;
        }
        if self.outcomes.contains_key(&result.task) {
            self.duplicates += 1;
            return None;
        }
        if result.transient && !is_final {
            tracing::info!(task = %result.task, error = ?result.error, "transient failure; waiting for the retry");
            return None;
        }
        let outcome = match &result.error {
            Some(e) => Outcome::Failed(e.clone()),
            None => Outcome::Ok,
        };
        self.outcomes.insert(result.task.clone(), outcome);
        for r in &result.records {
            match r {
                Record::Profile(p) if p.error.is_none() => self.profiles += 1,
                Record::Board(b) if b.error.is_none() => self.boards += 1,
                Record::Board(_) if result.error.is_none() => self.board_errors += 1,
                _ => {}
            }
        }
        if self.follow {
            for d in &result.discovered {
                if let Ok(u) = Url::parse(d) {
                    if crate::extract::username_of(&u).is_some() {
                        self.admit(&u);
                    }
                }
            }
        }
        Some(result.records)
    }

    /// A task ended for good (`is_final`) in `state`. If no result came for it, it counts
    /// as failed and an error record is returned for the output.
    pub fn on_final(&mut self, task: &str, reason: &str) -> Option<Record> {
        let &user = self.task_user.get(task)?;
        if self.outcomes.contains_key(task) {
            return None;
        }
        self.outcomes
            .insert(task.to_string(), Outcome::Failed(reason.to_string()));
        let url = self.users.get(user)?.url.clone();
        let username = Url::parse(&url)
            .ok()
            .as_ref()
            .and_then(crate::extract::username_of);
        let error = Some(reason.to_string());
        Some(if task.starts_with("profile.") {
            Record::Profile(crate::model::Profile {
                url,
                username,
                error,
                ..Default::default()
            })
        } else {
            Record::Board(crate::model::Board {
                url,
                owner: username,
                error,
                ..Default::default()
            })
        })
    }

    /// Every admitted user's tasks are done and nothing is queued.
    pub fn is_finished(&self) -> bool {
        self.queue.is_empty()
            && self
                .users
                .iter()
                .all(|u| u.tasks.iter().all(|t| self.outcomes.contains_key(t)))
    }

    /// (tasks done, tasks known): for progress.
    pub fn progress(&self) -> (usize, usize) {
        (self.outcomes.len(), self.users.len() * 2)
    }

    /// The summary so far.
    pub fn summary(&self, elapsed: Duration) -> Summary {
        let mut failed_users = Vec::new();
        let mut users_ok = 0;
        for u in &self.users {
            let failures: Vec<String> = u
                .tasks
                .iter()
                .filter_map(|t| match self.outcomes.get(t) {
                    Some(Outcome::Failed(e)) => {
                        Some(format!("{}: {e}", t.split('.').next().unwrap_or(t)))
                    }
                    None => Some(format!("{}: unfinished", t.split('.').next().unwrap_or(t))),
                    Some(Outcome::Ok) => None,
                })
                .collect();
            if failures.is_empty() {
                users_ok += 1;
            } else {
                failed_users.push((u.url.clone(), failures.join("; ")));
            }
        }
        Summary {
            users: self.users.len(),
            users_ok,
            failed_users,
            profiles: self.profiles,
            boards: self.boards,
            board_errors: self.board_errors,
            duplicates: self.duplicates,
            skipped_users: self.skipped.len(),
            elapsed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Board, Profile};

    fn u(s: &str) -> Url {
        Url::parse(&format!("http://h/{s}/")).unwrap()
    }

    fn ok(task: &CrawlTask, discovered: &[&str]) -> TaskResult {
        let records = match task.kind {
            TaskKind::Profile => vec![Record::Profile(Profile::default())],
            TaskKind::Boards => vec![
                Record::Board(Board::default()),
                Record::Board(Board::default()),
            ],
        };
        TaskResult {
            task: task.name.clone(),
            kind: task.kind,
            url: task.url.clone(),
            records,
            discovered: discovered.iter().map(|d| u(d).to_string()).collect(),
            error: None,
            transient: false,
        }
    }

    #[test]
    fn two_tasks_per_user_and_dedup() {
        let mut c = Crawl::new(
            &[u("a"), u("a"), Url::parse("http://h/a").unwrap()],
            10,
            false,
        );
        let tasks = c.take_tasks();
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0].name, "profile.0.a");
        assert_eq!(tasks[1].name, "boards.0.a");
        assert!(c.take_tasks().is_empty());
        assert!(!c.is_finished());
        // The framework message arrives first, then the status update: one kept.
        assert_eq!(c.on_result(ok(&tasks[0], &[]), false).unwrap().len(), 1);
        assert!(c.on_result(ok(&tasks[0], &[]), true).is_none());
        assert_eq!(c.on_result(ok(&tasks[1], &["b"]), true).unwrap().len(), 2);
        assert!(c.take_tasks().is_empty()); // no --follow
        assert!(c.is_finished());
        let s = c.summary(Duration::ZERO);
        assert_eq!(
            (s.users, s.users_ok, s.profiles, s.boards, s.duplicates),
            (1, 1, 1, 2, 1)
        );
        assert_eq!(s.exit_code(), 0);
    }

    #[test]
    fn follow_up_to_max_users_each_once() {
        let mut c = Crawl::new(&[u("a")], 3, true);
        let t = c.take_tasks();
        c.on_result(ok(&t[1], &["b", "c", "d", "a"]), true);
        let t2 = c.take_tasks();
        let names: Vec<_> = t2.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["profile.1.b", "boards.1.b", "profile.2.c", "boards.2.c"]
        );
        // Found again: not crawled twice.
        c.on_result(ok(&t[0], &["b", "c", "d"]), true);
        assert!(c.take_tasks().is_empty());
        for t in &t2 {
            c.on_result(ok(t, &["e"]), true);
        }
        assert!(c.is_finished());
        let s = c.summary(Duration::ZERO);
        assert_eq!(s.users, 3);
        assert_eq!(s.skipped_users, 2); // d and e
    }

    #[test]
    fn failures_transient_and_final() {
        let mut c = Crawl::new(&[u("a"), u("b")], 10, false);
        let t = c.take_tasks();
        let mut transient = ok(&t[0], &[]);
        transient.error = Some("timed out".into());
        transient.transient = true;
        // A retry follows: ignored, not a result.
        assert!(c.on_result(transient.clone(), false).is_none());
        assert_eq!(c.on_result(ok(&t[0], &[]), true).map(|r| r.len()), Some(1));
        // A permanent error is a result, and the user failed.
        let mut notfound = ok(&t[1], &[]);
        notfound.error = Some("not found (HTTP 404)".into());
        assert!(c.on_result(notfound, true).is_some());
        // b's profile task was lost for good with no result; its boards task finished.
        let rec = c.on_final(&t[2].name, "TASK_LOST after 3 retries").unwrap();
        assert_eq!(rec.error(), Some("TASK_LOST after 3 retries"));
        assert!(c.on_final(&t[2].name, "again").is_none());
        assert!(c.on_final("nope", "x").is_none());
        c.on_result(ok(&t[3], &[]), true);
        assert!(c.is_finished());
        let s = c.summary(Duration::ZERO);
        assert_eq!(s.users_ok, 0);
        assert_eq!(s.failed_users.len(), 2);
        assert_eq!(s.exit_code(), 1);
        assert!(s.to_string().contains("TASK_LOST"));
        // Unknown task results are dropped.
        let mut stray = ok(&t[0], &[]);
        stray.task = "profile.99.zz".into();
        assert!(c.on_result(stray, true).is_none());
    }
}
