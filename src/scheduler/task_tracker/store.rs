//! The tracker's records by key, in key order. Keys are handed out in increasing order,
//! so records live in fixed pages of consecutive keys: a queued task costs its record and
//! a sixteenth of a page index entry (an ordered map of records would keep its nodes about
//! half full). A page is freed with its last record, so at most a page per record is kept.

use super::record::TaskRecord;
use std::collections::BTreeMap;

/// Records per page.
const PAGE: u64 = 16;

type Page = [Option<TaskRecord>; PAGE as usize];

/// Records by key (see the module documentation).
#[derive(Debug, Default)]
pub(super) struct Records {
    /// Page number (`key / PAGE`) -> its records, by `key % PAGE`.
    pages: BTreeMap<u64, Box<Page>>,
}

/// The page and slot of a key.
fn place(key: u64) -> (u64, usize) {
    (key / PAGE, (key % PAGE) as usize)
}

impl Records {
    /// Keeps `record` under `key` (replacing any record there).
    pub fn insert(&mut self, key: u64, record: TaskRecord) {
        let (page, slot) = place(key);
        let page = self
            .pages
            .entry(page)
            .or_insert_with(|| Box::new(std::array::from_fn(|_| None)));
        if let Some(s) = page.get_mut(slot) {
            *s = Some(record);
        }
    }

    /// The record of `key`.
    pub fn get(&self, key: &u64) -> Option<&TaskRecord> {
        let (page, slot) = place(*key);
        self.pages.get(&page)?.get(slot)?.as_ref()
    }

    /// The record of `key`, to change it.
    pub fn get_mut(&mut self, key: &u64) -> Option<&mut TaskRecord> {
        let (page, slot) = place(*key);
        self.pages.get_mut(&page)?.get_mut(slot)?.as_mut()
    }

    /// Forgets the record of `key` and answers it.
    pub fn remove(&mut self, key: &u64) -> Option<TaskRecord> {
        let (page_no, slot) = place(*key);
        let page = self.pages.get_mut(&page_no)?;
        let record = page.get_mut(slot)?.take()?;
        if page.iter().all(Option::is_none) {
            self.pages.remove(&page_no);
        }
        Some(record)
    }

    /// Every record with its key, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &TaskRecord)> {
        self.pages.iter().flat_map(|(&page, records)| {
            (0..PAGE)
                .zip(records.iter())
                .filter_map(move |(i, r)| Some((page * PAGE + i, r.as_ref()?)))
        })
    }

    /// Every record, in key order.
    pub fn values(&self) -> impl Iterator<Item = &TaskRecord> {
        self.iter().map(|(_, r)| r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::TaskId;
    use crate::scheduler::spec::TaskSpec;
    use std::sync::Arc;

    fn record(name: &str) -> TaskRecord {
        let spec = Arc::new(TaskSpec::new(name).command("true"));
        TaskRecord::new(name.into(), spec, TaskId::new(name))
    }

    #[test]
    fn keeps_records_in_key_order_and_frees_empty_pages() {
        let mut rs = Records::default();
        for key in [0u64, 1, 15, 16, 40, u64::MAX] {
            rs.insert(key, record(&key.to_string()));
        }
        let keys: Vec<u64> = rs.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [0, 1, 15, 16, 40, u64::MAX]);
        assert_eq!(&*rs.get(&40).unwrap().name, "40");
        assert!(rs.get(&41).is_none());
        rs.get_mut(&1).unwrap().attempt = 3;
        assert_eq!(rs.values().nth(1).unwrap().attempt, 3);
        assert_eq!(rs.pages.len(), 4);
        assert_eq!(&*rs.remove(&16).unwrap().name, "16");
        assert!(rs.remove(&16).is_none());
        assert_eq!(rs.pages.len(), 3, "the page of 16..32 is gone");
        for key in [0, 1, 15, 40, u64::MAX] {
            assert!(rs.remove(&key).is_some());
        }
        assert!(rs.pages.is_empty());
        assert_eq!(rs.iter().count(), 0);
    }
}
