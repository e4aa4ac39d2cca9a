//! Reassembly of `TransitionChunk`s into one Transition.

/// Why a chunk was rejected (the buffer is dropped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// `partNumber` outside `[0, totalParts)` or `totalParts == 0`.
    #[error("chunk part {part} of {total} is out of range")]
    OutOfRange {
        /// partNumber.
        part: u32,
        /// totalParts.
        total: u32,
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

/// Buffered parts of one transition.
#[derive(Debug, Default)]
pub(crate) struct ChunkBuffer {
    parts: Vec<String>,
    total: u32,
    id: String,
}

impl ChunkBuffer {
    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        *self = ChunkBuffer::default();
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
        self.total = total;
        self.id = id;
        self.parts.push(chunk);
        if self.parts.len() as u32 == total {
            let text = self.parts.concat();
            self.clear();
            return Ok(Some(text));
        }
        Ok(None)
    }
}
