//! [`Hasher`]: streaming SHA-256 over chunks or any [`std::io::Read`], with a size bound.
//!
//! SHA-256 comes from the `sha2` crate, which on x86-64 detects the SHA extensions (SHA-NI)
//! at run time and uses them when the CPU has them (and ARMv8 crypto extensions on aarch64),
//! falling back to portable code otherwise. Nothing needs to be enabled for that. To see
//! whether a Linux host has the extensions: `grep -m1 -o sha_ni /proc/cpuinfo` (the
//! benchmark machine does).

use std::io::{self, Read};

use bytes::Buf;
use sha2::Digest as _;

use crate::{ArchiveError, Sha256};

/// Size of the buffer [`Hasher::read_from`] reads through: 64 KiB.
pub const READ_CHUNK: usize = 64 * 1024;

/// The digest and byte count of a hashed stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MediaDigest {
    /// SHA-256 of the bytes.
    pub sha256: Sha256,
    /// How many bytes were hashed.
    pub size: u64,
}

/// A streaming SHA-256 hasher that counts bytes and enforces optional bounds.
///
/// Feed it slices ([`update`](Self::update)), [`bytes::Buf`]s such as `Bytes`
/// ([`update_buf`](Self::update_buf)) or a reader ([`read_from`](Self::read_from)), then call
/// [`finish`](Self::finish).
///
/// - [`with_limit`](Self::with_limit) refuses streams longer than a bound ([`ArchiveError::TooLarge`]),
///   checked before any byte past the bound is hashed.
/// - [`with_expected_len`](Self::with_expected_len) also makes `finish` refuse a stream that
///   ended early ([`ArchiveError::Truncated`]), e.g. when the webhook announced `fileLength`.
///
/// ```
/// use archive_hash::Hasher;
///
/// let mut h = Hasher::new().with_limit(1024);
/// h.update(b"a")?;
/// h.update_buf(bytes::Bytes::from_static(b"bc"))?;
/// let d = h.finish()?;
/// assert_eq!(d.size, 3);
/// assert_eq!(d.sha256.to_string(),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
///
/// let mut h = Hasher::new();
/// h.read_from(&mut &b"abc"[..])?;
/// assert_eq!(h.finish()?.sha256, d.sha256);
/// # Ok::<(), archive_hash::ArchiveError>(())
/// ```
#[derive(Clone)]
pub struct Hasher {
    inner: sha2::Sha256,
    len: u64,
    limit: Option<u64>,
    expected: Option<u64>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("len", &self.len)
            .field("limit", &self.limit)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Hasher {
    /// A hasher without bounds.
    pub fn new() -> Self {
        Self {
            inner: sha2::Sha256::new(),
            len: 0,
            limit: None,
            expected: None,
        }
    }

    /// Refuses streams longer than `max_bytes`.
    #[must_use]
    pub fn with_limit(mut self, max_bytes: u64) -> Self {
        self.limit = Some(max_bytes);
        self
    }

    /// Requires exactly `bytes`: more is [`ArchiveError::TooLarge`], fewer is [`ArchiveError::Truncated`]
    /// at [`finish`](Self::finish). Combines with [`with_limit`](Self::with_limit) (the
    /// smaller bound wins).
    #[must_use]
    pub fn with_expected_len(mut self, bytes: u64) -> Self {
        self.expected = Some(bytes);
        self
    }

    /// Bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing has been hashed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn bound(&self) -> Option<u64> {
        match (self.limit, self.expected) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Hashes `chunk`, or refuses it whole if it would pass the bound.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), ArchiveError> {
        let n = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
        let new_len = self.len.saturating_add(n);
        if let Some(limit) = self.bound()
            && new_len > limit
        {
            return Err(ArchiveError::TooLarge { limit });
        }
        self.inner.update(chunk);
        self.len = new_len;
        Ok(())
    }

    /// Hashes everything in `buf` (e.g. `Bytes`, or a chain of them), consuming it.
    pub fn update_buf(&mut self, mut buf: impl Buf) -> Result<(), ArchiveError> {
        while buf.has_remaining() {
            let chunk = buf.chunk();
            let n = chunk.len();
            self.update(chunk)?;
            buf.advance(n);
        }
        Ok(())
    }

    /// Hashes everything `reader` yields until end of stream; returns the bytes read.
    ///
    /// `Interrupted` reads are retried; any other reader error is [`ArchiveError::Read`] with the
    /// offset reached. Reads go through a 4 KiB stack buffer until a read fills it, then
    /// through one [`READ_CHUNK`] heap buffer, so small inputs cost no allocation and large
    /// streams few read calls; memory stays bounded whatever the stream length.
    pub fn read_from<R: Read + ?Sized>(&mut self, reader: &mut R) -> Result<u64, ArchiveError> {
        let start = self.len;
        let mut small = [0u8; 4096];
        loop {
            let n = self.read_chunk(reader, &mut small)?;
            if n == 0 {
                return Ok(self.len - start);
            }
            if n == small.len() {
                break;
            }
        }
        let mut big = vec![0u8; READ_CHUNK];
        while self.read_chunk(reader, &mut big)? > 0 {}
        Ok(self.len - start)
    }

    /// One successful read into `buf`, hashed; 0 at end of stream.
    fn read_chunk<R: Read + ?Sized>(
        &mut self,
        reader: &mut R,
        buf: &mut [u8],
    ) -> Result<usize, ArchiveError> {
        loop {
            match reader.read(buf) {
                Ok(n) => {
                    let chunk = buf.get(..n).ok_or_else(|| ArchiveError::Read {
                        offset: self.len,
                        kind: io::ErrorKind::InvalidData,
                        source: io::Error::new(
                            io::ErrorKind::InvalidData,
                            "reader reported more bytes than its buffer",
                        ),
                    })?;
                    self.update(chunk)?;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(ArchiveError::Read {
                        offset: self.len,
                        kind: e.kind(),
                        source: e,
                    });
                }
            }
        }
    }

    /// The digest and size, checking the expected length if one was set.
    pub fn finish(self) -> Result<MediaDigest, ArchiveError> {
        if let Some(expected) = self.expected
            && self.len < expected
        {
            return Err(ArchiveError::Truncated {
                expected,
                actual: self.len,
            });
        }
        Ok(MediaDigest {
            sha256: Sha256::from_bytes(self.inner.finalize().into()),
            size: self.len,
        })
    }
}

/// Hashes a whole reader with an optional size bound: [`Hasher::read_from`] then
/// [`Hasher::finish`].
///
/// ```
/// let d = archive_hash::hash_reader(&mut &b""[..], Some(10))?;
/// assert_eq!(d.size, 0);
/// assert_eq!(d.sha256.to_string(),
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// # Ok::<(), archive_hash::ArchiveError>(())
/// ```
pub fn hash_reader<R: Read + ?Sized>(
    reader: &mut R,
    limit: Option<u64>,
) -> Result<MediaDigest, ArchiveError> {
    let mut h = Hasher::new();
    if let Some(l) = limit {
        h = h.with_limit(l);
    }
    h.read_from(reader)?;
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing {
        left: usize,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::new(io::ErrorKind::ConnectionReset, "gone"));
            }
            let n = self.left.min(buf.len()).min(3);
            buf.iter_mut().take(n).for_each(|b| *b = b'x');
            self.left -= n;
            Ok(n)
        }
    }

    struct Interrupting {
        calls: usize,
    }

    impl Read for Interrupting {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            match self.calls {
                1 => Err(io::Error::from(io::ErrorKind::Interrupted)),
                2 => {
                    if let Some(b) = buf.get_mut(..3) {
                        b.copy_from_slice(b"abc");
                    }
                    Ok(3)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn chunking_does_not_change_the_digest() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let whole = Sha256::digest(&data);
        for size in [1, 7, 64, 4096] {
            let mut h = Hasher::new();
            for c in data.chunks(size) {
                h.update(c).unwrap();
            }
            assert_eq!(h.finish().unwrap().sha256, whole);
        }
    }

    #[test]
    fn reader_errors_are_typed_with_offset() {
        let mut h = Hasher::new();
        let err = h.read_from(&mut Failing { left: 5 }).unwrap_err();
        match err {
            ArchiveError::Read { offset, kind, .. } => {
                assert_eq!(offset, 5);
                assert_eq!(kind, io::ErrorKind::ConnectionReset);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn large_streams_switch_to_the_big_buffer() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        let mut h = Hasher::new();
        assert_eq!(h.read_from(&mut &data[..]).unwrap(), 200_000);
        assert_eq!(h.finish().unwrap().sha256, Sha256::digest(&data));
        // A reader that fails after the switch still reports its offset.
        let mut h = Hasher::new();
        let mut r = Read::chain(&data[..10_000], Failing { left: 0 });
        match h.read_from(&mut r) {
            Err(ArchiveError::Read { offset, .. }) => assert_eq!(offset, 10_000),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn interrupted_reads_are_retried() {
        let mut h = Hasher::new();
        assert_eq!(h.read_from(&mut Interrupting { calls: 0 }).unwrap(), 3);
        assert_eq!(h.finish().unwrap().sha256, Sha256::digest(b"abc"));
    }

    #[test]
    fn limit_and_expected_length() {
        let mut h = Hasher::new().with_limit(4);
        assert!(h.update(b"abcd").is_ok());
        assert!(matches!(
            h.update(b"e"),
            Err(ArchiveError::TooLarge { limit: 4 })
        ));
        assert_eq!(h.len(), 4);

        let mut h = Hasher::new().with_expected_len(5);
        h.update(b"abc").unwrap();
        assert!(matches!(
            h.clone().finish(),
            Err(ArchiveError::Truncated {
                expected: 5,
                actual: 3
            })
        ));
        assert!(matches!(
            h.update(b"def"),
            Err(ArchiveError::TooLarge { limit: 5 })
        ));
        h.update(b"de").unwrap();
        assert_eq!(h.finish().unwrap().size, 5);

        let err = hash_reader(&mut &[0u8; 100][..], Some(99)).unwrap_err();
        assert!(matches!(err, ArchiveError::TooLarge { limit: 99 }));
    }

    #[test]
    fn buf_chains_are_hashed_in_order() {
        let a = bytes::Bytes::from_static(b"ab");
        let b = bytes::Bytes::from_static(b"c");
        let mut h = Hasher::new();
        h.update_buf(a.chain(b)).unwrap();
        assert_eq!(h.finish().unwrap().sha256, Sha256::digest(b"abc"));
    }
}
