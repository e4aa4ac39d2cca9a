//! A socket's outgoing side: frames wait in an unbounded queue, counted in bytes, for one
//! writer task; a reader too slow to keep up is detected here so the session can cut it off
//! instead of buffering without bound.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::clock::now_ms;

/// A socket with more than this waiting to be written, and no write finished for
/// [`STALL`], is disconnected: its reader is not keeping up.
pub const MAX_QUEUED_BYTES: usize = 8 * 1024 * 1024;
/// How long a socket over [`MAX_QUEUED_BYTES`] may make no progress.
pub const STALL: Duration = Duration::from_secs(10);
/// Over this, a socket is disconnected at once, progress or not (the client itself refuses a
/// chunked transition over 256 MB).
pub const HARD_QUEUED_BYTES: usize = 512 * 1024 * 1024;

enum Out {
    Text(String),
    Close,
    /// A close frame with a code and a reason (test controls).
    CloseWith(u16, String),
}

/// Frames waiting for the socket's writer, counted in bytes.
#[derive(Clone)]
pub(super) struct Outbox {
    tx: mpsc::UnboundedSender<Out>,
    queued: Arc<AtomicUsize>,
    /// When the writer last finished a frame (ms since the epoch).
    progress: Arc<AtomicU64>,
    overflowed: Arc<AtomicBool>,
}

impl Outbox {
    /// Starts the writer task that drains the outbox into `sink`; it ends after a close
    /// frame, on a write error, or when every `Outbox` is dropped.
    pub(super) fn start(mut sink: SplitSink<WebSocket, Message>) -> (Outbox, JoinHandle<()>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
        let outbox = Outbox {
            tx,
            queued: Arc::new(AtomicUsize::new(0)),
            progress: Arc::new(AtomicU64::new(now_ms())),
            overflowed: Arc::new(AtomicBool::new(false)),
        };
        let (sent, progressed) = (outbox.queued.clone(), outbox.progress.clone());
        let writer = tokio::spawn(async move {
            while let Some(out) = rx.recv().await {
                let result = match out {
                    Out::Text(text) => {
                        let len = text.len();
                        let result = sink.send(Message::Text(text.into())).await;
                        sent.fetch_sub(len, Ordering::SeqCst);
                        progressed.store(now_ms(), Ordering::SeqCst);
                        result
                    }
                    Out::Close => {
                        let _ = sink.send(Message::Close(None)).await;
                        break;
                    }
                    Out::CloseWith(code, reason) => {
                        let frame = CloseFrame {
                            code,
                            reason: reason.into(),
                        };
                        let _ = sink.send(Message::Close(Some(frame))).await;
                        break;
                    }
                };
                if result.is_err() {
                    break;
                }
            }
        });
        (outbox, writer)
    }

    /// Queues a text frame; past [`HARD_QUEUED_BYTES`] it is dropped and the outbox marked
    /// overflowed.
    pub(super) fn send_text(&self, text: String) {
        let now = self.queued.fetch_add(text.len(), Ordering::SeqCst) + text.len();
        if now > HARD_QUEUED_BYTES {
            self.queued.fetch_sub(text.len(), Ordering::SeqCst);
            self.overflowed.store(true, Ordering::SeqCst);
            return;
        }
        let _ = self.tx.send(Out::Text(text));
    }

    /// Queues a close frame without a code.
    pub(super) fn close(&self) {
        let _ = self.tx.send(Out::Close);
    }

    /// Queues a close frame with a code and a reason.
    pub(super) fn close_with(&self, code: u16, reason: String) {
        let _ = self.tx.send(Out::CloseWith(code, reason));
    }

    /// Over the hard limit, or over the soft limit with no write finished for [`STALL`].
    pub(super) fn too_slow(&self) -> bool {
        self.overflowed.load(Ordering::SeqCst)
            || (self.queued.load(Ordering::SeqCst) > MAX_QUEUED_BYTES
                && now_ms().saturating_sub(self.progress.load(Ordering::SeqCst))
                    > STALL.as_millis() as u64)
    }

    /// How many MiB wait to be written.
    pub(super) fn queued_mib(&self) -> usize {
        self.queued.load(Ordering::SeqCst) / (1024 * 1024)
    }
}
