//! Tests of the segment cache: the segment format, eviction, the index of
//! a local cache, and what is remembered of the store's answers.

use super::*;
use std::time::SystemTime;

fn segment(n: usize) -> Segment {
    Segment {
        sample_rate: 22050,
        samples: (0..n).map(|i| i as i16).collect(),
        marks: vec![Mark { kind: MarkKind::Word, text_offset: 0, text_len: 5, sample: 10 }],
    }
}

fn key(text: &str) -> SegmentKey {
    SegmentKey::from_digest(blake3::hash(text.as_bytes()))
}

async fn open(dir: &std::path::Path, capacity: u64) -> SegmentCache {
    SegmentCache::open(Arc::new(Storage::local(dir).unwrap()), capacity, 0).await
}

fn path(dir: &std::path::Path, key: &SegmentKey) -> std::path::PathBuf {
    dir.join(SegmentCache::key(key))
}

#[tokio::test]
async fn stores_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path(), 1 << 30).await;
    assert!(cache.get(&key("a")).await.is_none());
    cache.put(&key("a"), &segment(100)).await.unwrap();
    assert_eq!(cache.get(&key("a")).await, Some(segment(100)));
    // Corrupt one byte: the entry is discarded, not served.
    let path = path(dir.path(), &key("a"));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[30] ^= 0xFF;
    std::fs::write(&path, bytes).unwrap();
    assert!(cache.get(&key("a")).await.is_none());
    assert!(!path.exists());
    assert_eq!(cache.corrupt.load(Ordering::Relaxed), 1);
}

#[test]
fn truncated_entries_are_rejected() {
    let bytes = segment(10).encode();
    for len in [0, 10, bytes.len() - 1] {
        assert!(Segment::decode(&bytes[..len]).is_none());
    }
}

#[tokio::test]
async fn an_absent_segment_is_answered_from_memory_for_one_more_look_up() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(dir.path(), 1 << 30).await;
    // As with a remote store, which other replicas write to.
    cache.whole.store(false, Ordering::SeqCst);
    let reads = || cache.store.stats.reads.load(Ordering::SeqCst);
    let before = reads();
    assert!(!cache.contains(&key("a")).await);
    assert_eq!(reads(), before + 1);
    assert!(!cache.contains(&key("a")).await, "the speaker after the status header");
    assert_eq!(reads(), before + 1, "the second look-up asked the store");
    assert!(!cache.contains(&key("a")).await);
    assert_eq!(reads(), before + 2, "the answer is taken once, then the store is asked again");
    // Stored meanwhile (here, or by another replica): found.
    assert!(!cache.contains(&key("b")).await);
    std::fs::create_dir_all(path(dir.path(), &key("b")).parent().unwrap()).unwrap();
    std::fs::write(path(dir.path(), &key("b")), segment(10).encode()).unwrap();
    assert!(!cache.contains(&key("b")).await, "one stale answer");
    assert!(cache.contains(&key("b")).await);
    assert!(!cache.contains(&key("c")).await);
    cache.put(&key("c"), &segment(10)).await.unwrap();
    assert!(cache.contains(&key("c")).await, "a put here forgets the absence");
}

#[tokio::test]
async fn evicts_least_recently_used_beyond_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let entry_size = segment(1000).encode().len() as u64;
    let cache = open(dir.path(), entry_size * 3).await;
    for (i, name) in ["old", "mid", "new"].iter().enumerate() {
        cache.put(&key(name), &segment(1000)).await.unwrap();
        let when = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000 + i as u64);
        std::fs::File::options().append(true).open(path(dir.path(), &key(name))).unwrap().set_modified(when).unwrap();
    }
    cache.put(&key("newest"), &segment(1000)).await.unwrap();
    assert!(!cache.contains(&key("old")).await);
    assert!(cache.contains(&key("newest")).await);
    assert!(cache.used_bytes() <= entry_size * 3);
}

#[tokio::test]
async fn a_local_cache_is_looked_up_in_its_index_without_asking_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let entry_size = segment(1000).encode().len() as u64;
    open(dir.path(), 1 << 30).await.put(&key("before"), &segment(1000)).await.unwrap();
    let cache = open(dir.path(), entry_size * 2).await;
    let reads = || cache.store.stats.reads.load(Ordering::SeqCst);
    let before = reads();
    assert!(cache.contains(&key("before")).await, "listed at open");
    assert!(!cache.contains(&key("absent")).await);
    assert!(!cache.contains(&key("absent")).await);
    assert_eq!(reads(), before, "no look-up asked the store");
    cache.put(&key("new"), &segment(1000)).await.unwrap();
    assert!(cache.contains(&key("new")).await);
    let when = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    std::fs::File::options().append(true).open(path(dir.path(), &key("before"))).unwrap().set_modified(when).unwrap();
    cache.put(&key("newest"), &segment(1000)).await.unwrap();
    assert!(!path(dir.path(), &key("before")).exists(), "evicted");
    assert!(!cache.contains(&key("before")).await, "an evicted segment leaves the index");
    assert!(cache.contains(&key("newest")).await);
    // Discarded as corrupt: out of the index too.
    let newest = path(dir.path(), &key("newest"));
    let mut bytes = std::fs::read(&newest).unwrap();
    bytes[30] ^= 0xFF;
    std::fs::write(&newest, bytes).unwrap();
    assert!(cache.get(&key("newest")).await.is_none());
    assert!(!cache.contains(&key("newest")).await);
}

#[test]
fn object_names_give_back_their_keys() {
    let key = key("a");
    assert_eq!(SegmentCache::parse_key(&SegmentCache::key(&key)), Some(key));
    assert_eq!(SegmentCache::parse_key("segments/ab/not-hex.seg"), None);
    assert_eq!(SegmentCache::parse_key("renders/ab/x"), None);
}
