//! The gRPC connection to BuildKit over the frontend's own stdin and stdout.
//!
//! BuildKit serves the LLBBridge API as plain HTTP/2 over two pipes: it writes into our stdin
//! and reads our stdout. There is exactly one connection, so the connector hands the stream out
//! once; a reconnect attempt fails instead of reading a half-used pipe.

use hyper_util::rt::TokioIo;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::transport::{Channel, Endpoint, Uri};

/// A tonic channel over an already-connected byte stream.
pub async fn channel<S>(stream: S) -> Result<Channel, tonic::transport::Error>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let slot = Arc::new(Mutex::new(Some(stream)));
    let connector = tower::service_fn(move |_: Uri| {
        let stream = slot.lock().ok().and_then(|mut s| s.take());
        async move {
            stream.map(TokioIo::new).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotConnected,
                    "the BuildKit connection over stdio was closed",
                )
            })
        }
    });
    Endpoint::from_static("http://localhost")
        .connect_with_connector(connector)
        .await
}

/// The frontend's stdin and stdout as one stream. Pipes (what BuildKit gives us) are read
/// without blocking threads, so the process can exit as soon as it has answered.
pub fn stdio() -> std::io::Result<Box<dyn Stream>> {
    use std::os::fd::{AsFd, OwnedFd};
    use tokio::net::unix::pipe;
    let stdin: OwnedFd = std::io::stdin().as_fd().try_clone_to_owned()?;
    let stdout: OwnedFd = std::io::stdout().as_fd().try_clone_to_owned()?;
    match (
        pipe::Receiver::from_owned_fd(stdin),
        pipe::Sender::from_owned_fd(stdout),
    ) {
        (Ok(rx), Ok(tx)) => Ok(Box::new(tokio::io::join(rx, tx))),
        // Not pipes (a terminal, a socket): tokio's own stdio works with anything.
        _ => Ok(Box::new(tokio::io::join(
            tokio::io::stdin(),
            tokio::io::stdout(),
        ))),
    }
}

/// A bidirectional byte stream.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}
