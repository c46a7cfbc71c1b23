//! The server's stdout: one writer thread that writes complete LSP frames in
//! the order they were queued, from two producers: tower-lsp (through
//! [`FrameSink`], the `AsyncWrite` it is given) and the diagnostics publisher
//! (through [`Output::notify`]).
//!
//! Why a second producer: tower-lsp turns every outgoing message into a
//! `serde_json::Value` tree and then into a string. For a large file's
//! `publishDiagnostics` (10,000 statements: ~1,700 diagnostics, 640 KB) that
//! round trip cost more than applying and analysing the edit itself;
//! serialising the parameters straight to bytes does half the work.
//! Frames never interleave: the sink passes on only whole frames, and every
//! frame goes through one bounded queue, so a client that stops reading
//! holds the server up just as a blocked stdout would.

use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use serde::Serialize;
use tokio::io::AsyncWrite;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::PollSender;

/// Frames waiting for the writer thread; beyond this, producers wait.
const QUEUE_FRAMES: usize = 64;

enum Queued {
    /// Whole frames, header included (from the sink).
    Frames(Vec<u8>),
    /// A message body; the writer puts its header before it, so a large
    /// body is never copied into a frame.
    Body(Vec<u8>),
    /// Answered once everything queued before it has been written.
    Flushed(oneshot::Sender<()>),
}

/// A handle on the output queue; clones share it.
#[derive(Clone)]
pub struct Output {
    queue: mpsc::Sender<Queued>,
}

impl Output {
    /// Starts the writer thread on `writer` (stdout for the server).
    pub fn start(writer: impl Write + Send + 'static) -> Output {
        let (queue, queued) = mpsc::channel(QUEUE_FRAMES);
        let spawned = std::thread::Builder::new()
            .name("lsp-output".into())
            .spawn(move || write_frames(writer, queued));
        if let Err(error) = spawned {
            // Without the thread nothing reaches the client; the queue's
            // receiver is gone, so every send below fails and is logged.
            tracing::error!("cannot start the output thread: {error}");
        }
        Output { queue }
    }

    /// The `AsyncWrite` to give tower-lsp's `Server` as its stdout.
    pub fn sink(&self) -> FrameSink {
        FrameSink {
            queue: PollSender::new(self.queue.clone()),
            pending: Vec::new(),
        }
    }

    /// Queues a JSON-RPC notification, serialised straight to bytes.
    pub async fn notify(&self, method: &str, params: &impl Serialize) {
        #[derive(Serialize)]
        struct Notification<'a, P> {
            jsonrpc: &'static str,
            method: &'a str,
            params: &'a P,
        }
        let body = match serde_json::to_vec(&Notification {
            jsonrpc: "2.0",
            method,
            params,
        }) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!("cannot serialise {method}: {error}");
                return;
            }
        };
        if self.queue.send(Queued::Body(body)).await.is_err() {
            tracing::warn!("{method} not sent: the output is closed");
        }
    }

    /// Waits until everything queued so far has been written (or the writer
    /// has stopped).
    pub async fn flushed(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Queued::Flushed(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

/// The `Content-Length` header of a frame with `body_len` bytes of body.
fn header(body_len: usize) -> String {
    format!("Content-Length: {body_len}\r\n\r\n")
}

/// The writer thread: writes and flushes each frame until every handle is
/// gone or the client stops reading.
fn write_frames(mut writer: impl Write, mut queued: mpsc::Receiver<Queued>) {
    while let Some(item) = queued.blocking_recv() {
        let written = match item {
            Queued::Frames(frames) => writer.write_all(&frames),
            Queued::Body(body) => writer
                .write_all(header(body.len()).as_bytes())
                .and_then(|()| writer.write_all(&body)),
            Queued::Flushed(done) => {
                let _ = done.send(());
                continue;
            }
        };
        if let Err(error) = written.and_then(|()| writer.flush()) {
            tracing::warn!("cannot write to the client: {error}");
            return;
        }
    }
}

/// What tower-lsp writes into: passes on whole frames only, so that frames
/// queued by [`Output::notify`] never land inside one of tower-lsp's.
pub struct FrameSink {
    queue: PollSender<Queued>,
    /// Bytes of a frame not yet complete.
    pending: Vec<u8>,
}

impl AsyncWrite for FrameSink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        // Take bytes only when the queue has room for what they complete.
        if ready!(self.queue.poll_reserve(cx)).is_err() {
            return Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        self.pending.extend_from_slice(bytes);
        let complete = complete_frames_len(&self.pending);
        if complete == 0 {
            self.queue.abort_send();
        } else {
            let rest = self.pending.split_off(complete);
            let frames = std::mem::replace(&mut self.pending, rest);
            if self.queue.send_item(Queued::Frames(frames)).is_err() {
                return Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
            }
        }
        Poll::Ready(Ok(bytes.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        // Queued frames are the writer thread's; it flushes after each.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// How many leading bytes of `bytes` are whole frames (header and body).
/// A header without a readable `Content-Length` (which tower-lsp never
/// writes) passes everything on rather than holding output back forever.
fn complete_frames_len(bytes: &[u8]) -> usize {
    const HEADER_END: &[u8] = b"\r\n\r\n";
    let mut complete = 0;
    loop {
        let rest = &bytes[complete..];
        let Some(header_len) = rest
            .windows(HEADER_END.len())
            .position(|window| window == HEADER_END)
        else {
            return complete;
        };
        let Some(body_len) = content_length(&rest[..header_len]) else {
            return bytes.len();
        };
        let frame_len = header_len + HEADER_END.len() + body_len;
        if rest.len() < frame_len {
            return complete;
        }
        complete += frame_len;
    }
}

fn content_length(header: &[u8]) -> Option<usize> {
    let header = std::str::from_utf8(header).ok()?;
    header.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &[u8]) -> Vec<u8> {
        [header(body.len()).as_bytes(), body].concat()
    }

    #[test]
    fn complete_frames_stop_before_a_partial_one() {
        let one = frame(br#"{"a":1}"#);
        let two = frame(br#"{"b":[1,2,3]}"#);
        let mut bytes = [one.clone(), two.clone()].concat();
        assert_eq!(complete_frames_len(&bytes), bytes.len());
        bytes.truncate(one.len() + two.len() - 1);
        assert_eq!(complete_frames_len(&bytes), one.len());
        assert_eq!(complete_frames_len(&bytes[..one.len() - 1]), 0);
        assert_eq!(complete_frames_len(b"Content-Len"), 0);
        assert_eq!(complete_frames_len(b""), 0);
    }

    #[test]
    fn a_header_without_length_is_passed_on() {
        let bytes = b"X-Other: 1\r\n\r\n{}";
        assert_eq!(complete_frames_len(bytes), bytes.len());
    }

    /// A writer whose bytes the test can read afterwards.
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn notifications_never_land_inside_a_sink_frame() {
        use tokio::io::AsyncWriteExt;
        let written = Shared::default();
        let output = Output::start(written.clone());
        let mut sink = output.sink();
        let first = frame(br#"{"jsonrpc":"2.0","id":1,"result":null}"#);
        // The first frame arrives in two writes with a notification queued
        // in between: it must come out whole, before the notification.
        sink.write_all(&first[..10]).await.unwrap();
        output.notify("note", &serde_json::json!({"n": 1})).await;
        sink.write_all(&first[10..]).await.unwrap();
        output.flushed().await;
        let text = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        let note = r#"{"jsonrpc":"2.0","method":"note","params":{"n":1}}"#;
        let expected = format!(
            "Content-Length: {}\r\n\r\n{note}{}",
            note.len(),
            String::from_utf8(first).unwrap()
        );
        assert_eq!(text, expected);
    }
}
