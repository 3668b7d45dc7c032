//! [`Outbox`]: merges the DECLINEs the matcher decides within one burst of mailbox
//! messages into one call. Offers often arrive one per event; declining each in its own
//! call would cost one HTTP request per unused offer.

use super::engine::MAX_DECLINE_BATCH;
use crate::proto::scheduler::{Call, call};

/// Calls on their way to the connection, with DECLINEs held back to be merged.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    /// The DECLINE being accumulated.
    decline: Option<Call>,
}

fn is_decline(c: &Call) -> bool {
    c.r#type == Some(call::Type::Decline as i32) && c.decline.is_some()
}

impl Outbox {
    /// Routes one call: a DECLINE is merged into the held one (same framework and
    /// filters, up to [`MAX_DECLINE_BATCH`] offers); an ACCEPT goes out at once; any
    /// other call (REVIVE, SUPPRESS, ...) first sends the held DECLINE, so a REVIVE is
    /// never followed by an older DECLINE's filter.
    pub fn route(&mut self, c: Call, send: &mut Vec<Call>) {
        if !is_decline(&c) {
            if c.r#type != Some(call::Type::Accept as i32) {
                send.extend(self.decline.take());
            }
            send.push(c);
            return;
        }
        let mergeable = self.decline.as_ref().is_some_and(|held| {
            held.framework_id == c.framework_id
                && held.decline.as_ref().map(|d| d.filters) == c.decline.as_ref().map(|d| d.filters)
                && held.decline.as_ref().map_or(0, |d| d.offer_ids.len())
                    + c.decline.as_ref().map_or(0, |d| d.offer_ids.len())
                    <= MAX_DECLINE_BATCH
        });
        if mergeable {
            if let (Some(held), Some(new)) = (
                self.decline.as_mut().and_then(|h| h.decline.as_mut()),
                c.decline,
            ) {
                held.offer_ids.extend(new.offer_ids);
            }
        } else {
            send.extend(self.decline.replace(c));
        }
    }

    /// The held DECLINE, to send now.
    pub fn take(&mut self) -> Option<Call> {
        self.decline.take()
    }

    /// Whether a DECLINE is held.
    pub fn is_holding(&self) -> bool {
        self.decline.is_some()
    }

    /// Forgets the held DECLINE (its offers died with the subscription).
    pub fn clear(&mut self) {
        self.decline = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Filters, FrameworkId, OfferId};

    fn decline(ids: &[&str], refuse: f64) -> Call {
        Call {
            framework_id: Some(FrameworkId::new("fw")),
            r#type: Some(call::Type::Decline as i32),
            decline: Some(call::Decline {
                offer_ids: ids.iter().map(|i| OfferId::new(*i)).collect(),
                filters: Some(Filters {
                    refuse_seconds: Some(refuse),
                }),
            }),
            ..Default::default()
        }
    }

    fn plain(t: call::Type) -> Call {
        Call {
            r#type: Some(t as i32),
            ..Default::default()
        }
    }

    fn ids(c: &Call) -> Vec<String> {
        c.decline
            .as_ref()
            .unwrap()
            .offer_ids
            .iter()
            .map(|o| o.value.clone())
            .collect()
    }

    #[test]
    fn declines_merge_and_revive_flushes_first() {
        let mut outbox = Outbox::default();
        let mut send = Vec::new();
        outbox.route(decline(&["a"], 5.0), &mut send);
        outbox.route(plain(call::Type::Accept), &mut send);
        outbox.route(decline(&["b", "c"], 5.0), &mut send);
        assert_eq!(send.len(), 1, "the ACCEPT goes out, the DECLINEs wait");
        assert!(outbox.is_holding());
        outbox.route(plain(call::Type::Revive), &mut send);
        assert_eq!(send.len(), 3);
        assert_eq!(ids(&send[1]), ["a", "b", "c"]);
        assert_eq!(send[2].r#type, Some(call::Type::Revive as i32));
        assert!(outbox.take().is_none());
    }

    #[test]
    fn different_filters_and_full_batches_are_not_merged() {
        let mut outbox = Outbox::default();
        let mut send = Vec::new();
        outbox.route(decline(&["a"], 5.0), &mut send);
        outbox.route(decline(&["b"], 1.0), &mut send);
        assert_eq!(send.len(), 1);
        assert_eq!(ids(&send[0]), ["a"]);
        let many: Vec<String> = (0..MAX_DECLINE_BATCH).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        outbox.route(decline(&many, 1.0), &mut send);
        assert_eq!(send.len(), 2, "b plus a full batch would be too many");
        assert_eq!(ids(&send[1]), ["b"]);
        assert_eq!(ids(&outbox.take().unwrap()).len(), MAX_DECLINE_BATCH);
        outbox.route(decline(&["z"], 1.0), &mut send);
        outbox.clear();
        assert!(outbox.take().is_none());
    }
}
