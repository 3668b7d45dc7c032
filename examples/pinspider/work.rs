//! What an executor does with one task, independent of how it was launched: fetch the
//! user's page (and, for a boards task, every board page), extract, and build the
//! [`TaskResult`]. Runs on one actix thread (the [`Fetcher`] is not `Send`).

use crate::extract::{self, BoardLink};
use crate::fetch::{FetchError, Fetcher};
use crate::model::{Board, Profile, Record, TaskKind, TaskPayload, TaskResult};
use url::Url;

/// Parses `TaskInfo.data` and runs the task; bad data gives an error result.
pub async fn run_bytes(data: &[u8], fetcher: &Fetcher, kind: TaskKind) -> TaskResult {
    match serde_json::from_slice::<TaskPayload>(data) {
        Ok(payload) => run(&payload, fetcher).await,
        Err(e) => TaskResult {
            task: String::new(),
            kind,
            url: String::new(),
            records: Vec::new(),
            discovered: Vec::new(),
            error: Some(format!("task data is not a pinspider task: {e}")),
            transient: false,
        },
    }
}

/// Runs one task.
pub async fn run(payload: &TaskPayload, fetcher: &Fetcher) -> TaskResult {
    let mut result = TaskResult {
        task: payload.task.clone(),
        kind: payload.kind,
        url: payload.url.clone(),
        records: Vec::new(),
        discovered: Vec::new(),
        error: None,
        transient: false,
    };
    let url = match Url::parse(&payload.url) {
        Ok(u) => u,
        Err(e) => {
            fail(
                &mut result,
                format!("invalid user URL {:?}: {e}", payload.url),
                false,
            );
            return result;
        }
    };
    let page = match fetcher.get(&url).await {
        Ok(p) => p,
        Err(e) => {
            fail(&mut result, e.to_string(), e.is_transient());
            return result;
        }
    };
    let profile_page = extract::extract_profile(&page.body, &page.url);
    let mut discovered: Vec<Url> = profile_page.users.clone();
    match payload.kind {
        TaskKind::Profile => {
            result.error = profile_page.profile.error.clone();
            result.records.push(Record::Profile(profile_page.profile));
        }
        TaskKind::Boards => {
            if profile_page.boards.is_empty() {
                if let Some(e) = &profile_page.profile.error {
                    fail(&mut result, e.clone(), false);
                    return result;
                }
            }
            let owner = profile_page.profile.username.clone();
            let mut visited = 0;
            for link in &profile_page.boards {
                if visited >= payload.fetch.max_boards {
                    break;
                }
                // A plain link is a board only where robots.txt lets us look; the boards
                // the page's data names are visited (and a refusal reported) as before.
                if link.from_markup && !fetcher.robots_allows(&link.url).await {
                    tracing::debug!(url = %link.url, "board link disallowed by robots.txt");
                    continue;
                }
                visited += 1;
                let (board, users) = visit_board(fetcher, link, owner.as_deref()).await;
                discovered.extend(users);
                result.records.push(Record::Board(board));
            }
        }
    }
    let own = extract::username_of(&url);
    result.discovered = extract::links::dedup_users(discovered, own.as_deref())
        .into_iter()
        .map(String::from)
        .collect();
    result
}

/// Fetches and extracts one board page; the tile from the profile page fills the gaps
/// (and stands in when the board page cannot be fetched).
async fn visit_board(
    fetcher: &Fetcher,
    link: &BoardLink,
    owner: Option<&str>,
) -> (Board, Vec<Url>) {
    let (mut board, users) = match fetcher.get(&link.url).await {
        Ok(page) => {
            let b = extract::extract_board(&page.body, &page.url);
            (b.board, b.users)
        }
        Err(e) => (
            Board {
                url: link.url.to_string(),
                error: Some(board_error(&e)),
                ..Default::default()
            },
            Vec::new(),
        ),
    };
    let mut from_link = false;
    if board.title.is_none() && link.title.is_some() {
        board.title = link.title.clone();
        from_link = true;
    }
    if board.pin_count.is_none() && link.pin_count.is_some() {
        board.pin_count = link.pin_count.clone();
        from_link = true;
    }
    if board.cover_image.is_none() && link.cover_image.is_some() {
        board.cover_image = link.cover_image.clone();
        from_link = true;
    }
    if board.owner.is_none() {
        board.owner = owner
            .map(str::to_string)
            .or_else(|| extract::username_of(&link.url));
    }
    if from_link {
        board.sources.push("profile_page".into());
    }
    (board, users)
}

fn board_error(e: &FetchError) -> String {
    format!("board page: {e}")
}

/// Marks the whole task failed, with an error record so the output shows it.
fn fail(result: &mut TaskResult, error: String, transient: bool) {
    let url = result.url.clone();
    let username = Url::parse(&url)
        .ok()
        .as_ref()
        .and_then(extract::username_of);
    result.records.push(match result.kind {
        TaskKind::Profile => Record::Profile(Profile {
            url,
            username,
            error: Some(error.clone()),
            ..Default::default()
        }),
        TaskKind::Boards => Record::Board(Board {
            url,
            owner: username,
            error: Some(error.clone()),
            ..Default::default()
        }),
    });
    result.error = Some(error);
    result.transient = transient;
}
