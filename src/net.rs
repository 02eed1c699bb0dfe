//! TCP connections of the streaming front doors (HTTP, Wyoming): how each
//! accepted socket is tuned. A leaf, so the doors share it without
//! depending on one another.

/// Kernel send buffer per connection. Audio is produced far faster than it
/// plays, so an unbounded (auto-tuned, up to megabytes) buffer would let a
/// client that stopped reading pin a whole document in kernel memory and keep
/// the workers busy for nothing. 256 KiB still sustains many megabytes per
/// second on a 100 ms path, far above any audio rate.
const SEND_BUFFER_BYTES: usize = 256 * 1024;

/// Bounds a connection's send buffer and sends small writes at once.
pub(crate) fn tune_connection(stream: &mut tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    if let Err(error) = socket2::SockRef::from(&*stream).set_send_buffer_size(SEND_BUFFER_BYTES) {
        tracing::debug!(%error, "could not bound the send buffer");
    }
}
