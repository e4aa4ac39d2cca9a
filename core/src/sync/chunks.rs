//! Reassembly of `TransitionChunk`s into one Transition.

/// Why a chunk was rejected (the buffer is dropped).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ChunkError {
    /// `partNumber` outside `[0, totalParts)` or `totalParts == 0`.
    #[error("chunk part {part} of {total} is out of range")]
    OutOfRange {
        /// partNumber.
        part: u32,
        /// totalParts.
        total: u32,
    },
    /// The transition is larger than the client accepts (parts or bytes): a hostile or broken
    /// server must not exhaust the page's memory.
    #[error("a chunked transition over the limit ({parts} parts, {bytes} bytes)")]
    TooLarge {
        /// totalParts announced.
        parts: u32,
        /// Bytes buffered with this part.
        bytes: usize,
    },
    /// A part arrived out of order, or for another transition.
    #[error("chunk part {part} of transition {id} arrived out of order")]
    OutOfOrder {
        /// partNumber.
        part: u32,
        /// transitionId.
        id: String,
    },
}

/// The most parts a chunked transition may have (the server splits at 5 MB, so this is
/// 5 GB of theoretical room; what binds is [`MAX_BYTES`]).
pub(crate) const MAX_PARTS: u32 = 1_000;
/// The most bytes a chunked transition may buffer.
pub(crate) const MAX_BYTES: usize = 256 * 1024 * 1024;

/// Buffered parts of one transition.
#[derive(Debug)]
pub(crate) struct ChunkBuffer {
    parts: Vec<String>,
    bytes: usize,
    total: u32,
    id: String,
    max_parts: u32,
    max_bytes: usize,
}

impl Default for ChunkBuffer {
    fn default() -> Self {
        ChunkBuffer::with_limits(MAX_PARTS, MAX_BYTES)
    }
}

impl ChunkBuffer {
    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    pub(crate) fn with_limits(max_parts: u32, max_bytes: usize) -> ChunkBuffer {
        ChunkBuffer {
            parts: Vec::new(),
            bytes: 0,
            total: 0,
            id: String::new(),
            max_parts,
            max_bytes,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.parts = Vec::new();
        self.bytes = 0;
        self.total = 0;
        self.id = String::new();
    }

    /// Adds a part; returns the whole text once the last part is in.
    pub(crate) fn push(
        &mut self,
        chunk: String,
        part: u32,
        total: u32,
        id: String,
    ) -> Result<Option<String>, ChunkError> {
        if total == 0 || part >= total {
            self.clear();
            return Err(ChunkError::OutOfRange { part, total });
        }
        let expected = self.parts.len() as u32;
        let same = self.parts.is_empty() || (self.total == total && self.id == id);
        if part != expected || !same {
            self.clear();
            return Err(ChunkError::OutOfOrder { part, id });
        }
        let bytes = self.bytes.saturating_add(chunk.len());
        if total > self.max_parts || bytes > self.max_bytes {
            self.clear();
            return Err(ChunkError::TooLarge {
                parts: total,
                bytes,
            });
        }
        self.total = total;
        self.id = id;
        self.bytes = bytes;
        self.parts.push(chunk);
        if self.parts.len() as u32 == total {
            let text = self.parts.concat();
            self.clear();
            return Ok(Some(text));
        }
        Ok(None)
    }
}

debug_as_message!(ChunkError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_server_cannot_make_the_buffer_grow_without_bound() {
        let mut b = ChunkBuffer::with_limits(4, 10);
        assert!(matches!(
            b.push("x".into(), 0, 5, "t".into()),
            Err(ChunkError::TooLarge { parts: 5, .. })
        ));
        assert!(b.is_empty());
        assert_eq!(b.push("abcdef".into(), 0, 3, "t".into()), Ok(None));
        assert!(matches!(
            b.push("ghijkl".into(), 1, 3, "t".into()),
            Err(ChunkError::TooLarge { bytes: 12, .. })
        ));
        assert!(b.is_empty(), "the buffer is dropped");
        assert_eq!(b.push("ab".into(), 0, 2, "u".into()), Ok(None));
        assert_eq!(
            b.push("cd".into(), 1, 2, "u".into()),
            Ok(Some("abcd".into()))
        );
        assert!(matches!(
            ChunkBuffer::default().push(String::new(), 0, u32::MAX, "t".into()),
            Err(ChunkError::TooLarge { .. })
        ));
    }
}
