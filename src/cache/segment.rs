//! Segment entries: PCM plus marks, checksummed, LRU-evicted.

use super::atomic::Durability;
use super::store::Storage;
use crate::engine::{Mark, MarkKind};
use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MAGIC: &[u8; 8] = b"HRLDSEG1";
const MARK_BYTES: usize = 17;
const CHECKSUM_BYTES: usize = 32;

/// The key of a segment: a BLAKE3 hash of everything that shapes its audio
/// (made by the speaker from the voice's audio identity, the options and
/// the text; the cache does not interpret it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SegmentKey([u8; 32]);

impl SegmentKey {
    pub fn from_digest(digest: blake3::Hash) -> Self {
        Self(*digest.as_bytes())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }
}

/// A synthesized segment: mono s16 audio and the marks inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub sample_rate: u32,
    pub samples: Vec<i16>,
    pub marks: Vec<Mark>,
}

impl Segment {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.marks.len() * MARK_BYTES + self.samples.len() * 2 + CHECKSUM_BYTES);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.sample_rate.to_le_bytes());
        out.extend_from_slice(&(self.marks.len() as u32).to_le_bytes());
        for m in &self.marks {
            out.push(match m.kind {
                MarkKind::Word => 0,
                MarkKind::Sentence => 1,
            });
            out.extend_from_slice(&m.text_offset.to_le_bytes());
            out.extend_from_slice(&m.text_len.to_le_bytes());
            out.extend_from_slice(&m.sample.to_le_bytes());
        }
        out.extend_from_slice(&(self.samples.len() as u64).to_le_bytes());
        out.extend(self.samples.iter().flat_map(|s| s.to_le_bytes()));
        let checksum = blake3::hash(&out);
        out.extend_from_slice(checksum.as_bytes());
        out
    }

    /// Decodes and verifies an entry; `None` if it is corrupt in any way.
    fn decode(bytes: &[u8]) -> Option<Self> {
        let (body, checksum) = bytes.split_at_checked(bytes.len().checked_sub(CHECKSUM_BYTES)?)?;
        if blake3::hash(body).as_bytes() != checksum {
            return None;
        }
        let mut r = Reader(body);
        if r.take(8)? != MAGIC {
            return None;
        }
        let sample_rate = u32::from_le_bytes(r.array()?);
        let mark_count = u32::from_le_bytes(r.array()?) as usize;
        let mut marks = Vec::with_capacity(mark_count.min(body.len() / MARK_BYTES));
        for _ in 0..mark_count {
            let kind = match r.take(1)?[0] {
                0 => MarkKind::Word,
                1 => MarkKind::Sentence,
                _ => return None,
            };
            let text_offset = u32::from_le_bytes(r.array()?);
            let text_len = u32::from_le_bytes(r.array()?);
            let sample = u64::from_le_bytes(r.array()?);
            marks.push(Mark { kind, text_offset, text_len, sample });
        }
        let sample_count = u64::from_le_bytes(r.array()?) as usize;
        let pcm = r.take(sample_count.checked_mul(2)?)?;
        let samples = pcm.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
        r.0.is_empty().then_some(Self { sample_rate, samples, marks })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(n)?;
        self.0 = tail;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
}

/// The segment cache, in whichever store the settings chose.
#[derive(Debug)]
pub struct SegmentCache {
    store: Arc<Storage>,
    capacity_bytes: u64,
    used_bytes: AtomicU64,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub corrupt: AtomicU64,
    /// Segments known to be stored (seen, read or written here), so that a
    /// hit costs one read of the store, not a lookup and a read. Segments
    /// are never changed, only evicted: a stale entry is found out by the
    /// read, which then misses.
    known: Mutex<HashSet<SegmentKey>>,
    /// Whether `known` is every segment the store holds, so that a look-up
    /// costs no call to the store: for the local directory, listed at open
    /// and kept in step with every write, discard and eviction here (the
    /// first audio of every request waits for a look-up). A segment another
    /// process writes into the same directory meanwhile is made again here,
    /// never a wrong one.
    whole: AtomicBool,
    /// Segments a look-up just found absent, and when. The next look-up
    /// within [`ABSENT_REMEMBERED`] takes that answer instead of asking the
    /// store again: a request's cache status, then its speaker, ask about
    /// the same sentences. A stale answer costs a segment made twice, never
    /// a wrong one.
    absent: Mutex<HashMap<SegmentKey, Instant>>,
    /// With a remote store: the segments read or written most recently, in
    /// memory, so that a hot sentence (a Listen button's page read by many)
    /// costs no round trip (`store_memory_mb`). The local directory has the
    /// page cache instead, and every read of it is checked.
    hot: Option<quick_cache::sync::Cache<SegmentKey, Arc<Segment>, SegmentWeight>>,
}

#[derive(Debug, Clone)]
struct SegmentWeight;

impl quick_cache::Weighter<SegmentKey, Arc<Segment>> for SegmentWeight {
    fn weight(&self, _key: &SegmentKey, segment: &Arc<Segment>) -> u64 {
        segment.samples.len() as u64 * 2 + 64
    }
}

const PREFIX: &str = "segments/";
/// Keys remembered in [`SegmentCache::known`] at most (about 12 MB); past
/// that the memory starts again empty.
const KNOWN_MAX: usize = 1 << 18;
/// How long a segment found absent is taken as absent, for one more look-up.
const ABSENT_REMEMBERED: Duration = Duration::from_secs(1);
/// Absent segments remembered at most; past that the memory starts again empty.
const ABSENT_MAX: usize = 1 << 12;

impl SegmentCache {
    /// Opens the cache in `store`, counting what it holds (a store that
    /// does not answer now counts as empty).
    /// With a remote store, up to `memory_bytes` of segments are also kept
    /// in memory.
    pub async fn open(store: Arc<Storage>, capacity_bytes: u64, memory_bytes: u64) -> Self {
        let entries = store.list(PREFIX).await;
        let used = entries.as_ref().map_or(0, |entries| entries.iter().map(|e| e.size).sum());
        let index: Option<HashSet<SegmentKey>> = entries
            .ok()
            .filter(|entries| store.kind() == "local" && entries.len() < KNOWN_MAX)
            .map(|entries| entries.iter().filter_map(|e| Self::parse_key(&e.key)).collect());
        let hot = (store.kind() != "local" && memory_bytes > 0)
            .then(|| quick_cache::sync::Cache::with_weighter(1024, memory_bytes, SegmentWeight));
        Self {
            store,
            capacity_bytes,
            used_bytes: AtomicU64::new(used),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            corrupt: AtomicU64::new(0),
            whole: AtomicBool::new(index.is_some()),
            known: Mutex::new(index.unwrap_or_default()),
            absent: Mutex::new(HashMap::new()),
            hot,
        }
    }

    fn remember(&self, key: &SegmentKey, stored: bool) {
        self.absent.lock().expect("absent segments lock").remove(key);
        let mut known = self.known.lock().expect("known segments lock");
        if !stored {
            known.remove(key);
            return;
        }
        if known.len() >= KNOWN_MAX {
            known.clear();
            self.whole.store(false, Ordering::SeqCst);
        }
        known.insert(*key);
    }

    fn keep_hot(&self, key: &SegmentKey, segment: &Segment) {
        if let Some(hot) = &self.hot {
            hot.insert(*key, Arc::new(segment.clone()));
        }
    }

    fn key(key: &SegmentKey) -> String {
        let hex = key.hex();
        format!("{PREFIX}{}/{hex}.seg", &hex[..2])
    }

    /// The key of a segment's object name ([`Self::key`]'s inverse).
    fn parse_key(name: &str) -> Option<SegmentKey> {
        let hex = name.strip_prefix(PREFIX)?.split_once('/')?.1.strip_suffix(".seg")?;
        blake3::Hash::from_hex(hex).ok().map(SegmentKey::from_digest)
    }

    /// The segment for `key`, if cached and intact. Marks it recently used.
    /// A store that does not answer is a miss.
    pub async fn get(&self, key: &SegmentKey) -> Option<Segment> {
        if let Some(segment) = self.hot.as_ref().and_then(|hot| hot.get(key)) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Some(Segment::clone(&segment));
        }
        let name = Self::key(key);
        let Ok(Some(bytes)) = self.store.get(&name).await else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            self.remember(key, false);
            return None;
        };
        let segment = Segment::decode(&bytes);
        self.remember(key, segment.is_some());
        match segment {
            Some(segment) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                self.store.touch(&name).await;
                self.keep_hot(key, &segment);
                Some(segment)
            }
            None => {
                tracing::warn!(key = %name, "corrupt cache entry discarded");
                self.corrupt.fetch_add(1, Ordering::Relaxed);
                self.misses.fetch_add(1, Ordering::Relaxed);
                if self.store.delete(&name).await.is_ok() {
                    let _ = self.used_bytes.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                        Some(used.saturating_sub(bytes.len() as u64))
                    });
                }
                None
            }
        }
    }

    /// Counts a miss found without reading (see [`Self::contains`]).
    pub fn record_miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// True if an entry exists for `key` (not verified; false if the store
    /// does not answer).
    pub async fn contains(&self, key: &SegmentKey) -> bool {
        if self.known.lock().expect("known segments lock").contains(key) {
            return true;
        }
        if self.whole.load(Ordering::SeqCst) {
            return false;
        }
        let found_absent = self.absent.lock().expect("absent segments lock").remove(key);
        if found_absent.is_some_and(|at| at.elapsed() < ABSENT_REMEMBERED) {
            return false;
        }
        match self.store.size(&Self::key(key)).await {
            Ok(Some(_)) => {
                self.remember(key, true);
                true
            }
            Ok(None) => {
                let mut absent = self.absent.lock().expect("absent segments lock");
                if absent.len() >= ABSENT_MAX {
                    absent.clear();
                }
                absent.insert(*key, Instant::now());
                false
            }
            Err(_) => false,
        }
    }

    /// As [`Self::contains`], asking the store even if it lately said no:
    /// for a segment another replica is synthesizing.
    pub async fn contains_now(&self, key: &SegmentKey) -> bool {
        self.absent.lock().expect("absent segments lock").remove(key);
        self.store.forget_miss(&Self::key(key));
        self.contains(key).await
    }

    /// Stores a segment whole, then evicts old entries beyond the cap.
    pub async fn put(&self, key: &SegmentKey, segment: &Segment) -> io::Result<()> {
        let bytes = segment.encode();
        let name = Self::key(key);
        let (size, previous) = (bytes.len() as u64, self.store.size(&name).await.ok().flatten().unwrap_or(0));
        self.store.put(&name, bytes, Durability::Rebuildable).await?;
        self.remember(key, true);
        self.keep_hot(key, segment);
        self.used_bytes.fetch_add(size, Ordering::SeqCst);
        let _ = self
            .used_bytes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| Some(used.saturating_sub(previous)));
        if self.used_bytes() > self.capacity_bytes {
            self.evict().await?;
        }
        Ok(())
    }

    /// Bytes currently stored.
    pub fn used_bytes(&self) -> u64 {
        self.used_bytes.load(Ordering::SeqCst)
    }

    /// Deletes least-recently-used entries (in an object store: the oldest
    /// written) until the cache is within 90% of its cap.
    async fn evict(&self) -> io::Result<()> {
        let mut all = self.store.list(PREFIX).await?;
        all.sort_by_key(|e| e.used);
        let mut used: u64 = all.iter().map(|e| e.size).sum();
        let target = self.capacity_bytes / 10 * 9;
        for entry in all {
            if used <= target {
                break;
            }
            if self.store.delete(&entry.key).await.is_ok() {
                used -= entry.size;
                if let Some(key) = Self::parse_key(&entry.key) {
                    self.known.lock().expect("known segments lock").remove(&key);
                }
            }
        }
        self.used_bytes.store(used, Ordering::SeqCst);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
