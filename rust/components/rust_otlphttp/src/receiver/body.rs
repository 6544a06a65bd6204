//! Reading a request body into one buffer, never past the configured size: on the wire, and
//! once decompressed (gzip is inflated as it arrives, so a gzip bomb is cut at the limit
//! instead of being inflated whole).

use std::fmt;
use std::io::{self, Write};

use flate2::write::MultiGzDecoder;
use http_body_util::BodyExt;
use hyper::body::{Body, Bytes};

/// How a body is encoded on the wire (`Content-Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentCoding {
    /// No `Content-Encoding` (or an empty one): the bytes as they are.
    Identity,
    /// `gzip`, with every member of a multi-member stream (as Go's gzip reader).
    Gzip,
}

impl ContentCoding {
    /// The coding a `Content-Encoding` value names, if it is one the receiver reads.
    /// Content codings are case-insensitive (RFC 9110 §8.4.1).
    pub(crate) fn from_header(value: Option<&[u8]>) -> Option<Self> {
        match value {
            None | Some(b"") => Some(Self::Identity),
            Some(value) if value.eq_ignore_ascii_case(b"gzip") => Some(Self::Gzip),
            Some(_) => None,
        }
    }
}

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// More than the limit, on the wire or decompressed.
    TooLarge,
    /// The connection failed or the client sent a malformed body (chunking, length).
    Read(String),
    /// The gzip stream is corrupt or truncated.
    Gzip(io::Error),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge => f.write_str("request body too large"),
            Self::Read(err) => write!(f, "cannot read the request body: {err}"),
            Self::Gzip(err) => write!(f, "invalid gzip request body: {err}"),
        }
    }
}

/// Reads `body`, encoded with `coding`, into memory: at most `limit` bytes on the wire and
/// `limit` bytes decoded. `expected` is the body's declared length (`Content-Length`), a hint
/// for the first allocation.
pub(crate) async fn read<B>(
    mut body: B,
    coding: ContentCoding,
    limit: usize,
    expected: Option<u64>,
) -> Result<Vec<u8>, BodyError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: fmt::Display,
{
    let expected = expected
        .and_then(|length| usize::try_from(length).ok())
        .unwrap_or(0);
    if expected > limit {
        return Err(BodyError::TooLarge);
    }
    let mut sink = match coding {
        Coding::Identity => Sink::Identity(Bounded::new(limit, expected)),
        // Protobuf OTLP inflates several times; the buffer grows from there as needed.
        Coding::Gzip => Sink::Gzip(Box::new(MultiGzDecoder::new(Bounded::new(
            limit,
            expected.saturating_mul(4),
        )))),
    };
    let mut wire = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| BodyError::Read(err.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        wire = wire.saturating_add(data.len());
        if wire > limit {
            return Err(BodyError::TooLarge);
        }
        sink.write(&data)?;
    }
    sink.finish()
}

use ContentCoding as Coding;

/// Where the wire bytes go: straight into the buffer, or through the inflater into it
/// (boxed: its state is ten times the buffer's).
enum Sink {
    Identity(Bounded),
    Gzip(Box<MultiGzDecoder<Bounded>>),
}

impl Sink {
    fn write(&mut self, data: &[u8]) -> Result<(), BodyError> {
        match self {
            Self::Identity(buffer) => buffer.extend(data),
            Self::Gzip(decoder) => {
                let written = decoder.write_all(data);
                gzip_result(written, decoder.get_ref())
            }
        }
    }

    fn finish(self) -> Result<Vec<u8>, BodyError> {
        match self {
            Self::Identity(buffer) => Ok(buffer.bytes),
            Self::Gzip(mut decoder) => {
                // Flushes what is left and checks the stream ended with its CRC and length:
                // a truncated body is an error, not a shorter request.
                let finished = decoder.try_finish();
                gzip_result(finished, decoder.get_ref())?;
                decoder
                    .finish()
                    .map(|buffer| buffer.bytes)
                    .map_err(BodyError::Gzip)
            }
        }
    }
}

/// A gzip step's result: an error from the buffer refusing more is [`BodyError::TooLarge`],
/// any other one a corrupt stream.
fn gzip_result(result: io::Result<()>, buffer: &Bounded) -> Result<(), BodyError> {
    match result {
        Ok(()) => Ok(()),
        Err(_) if buffer.exceeded => Err(BodyError::TooLarge),
        Err(err) => Err(BodyError::Gzip(err)),
    }
}

/// A buffer that refuses to hold more than its limit, and never reserves past it (a plain
/// `Vec` doubles: 16 MiB and one byte would take 32 MiB under a 20 MiB limit).
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
    /// Set once a write was refused.
    exceeded: bool,
}

impl Bounded {
    fn new(limit: usize, expected: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(expected.min(limit)),
            limit,
            exceeded: false,
        }
    }

    fn extend(&mut self, data: &[u8]) -> Result<(), BodyError> {
        let room = self.limit - self.bytes.len();
        if data.len() > room {
            self.exceeded = true;
            return Err(BodyError::TooLarge);
        }
        let needed = self.bytes.len() + data.len();
        if needed > self.bytes.capacity() {
            // Geometric growth, as Vec's, but capped at the limit.
            let target = needed.max(self.bytes.capacity() * 2).min(self.limit);
            self.bytes.reserve_exact(target - self.bytes.len());
        }
        self.bytes.extend_from_slice(data);
        Ok(())
    }
}

impl Write for Bounded {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.extend(data)
            .map(|()| data.len())
            .map_err(|_| io::Error::other("request body too large"))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use flate2::Compression;
    use flate2::write::GzEncoder;
    use hyper::body::Frame;

    use super::*;

    /// A body arriving in the chunks it was given, as hyper hands a request's over.
    struct Chunks(VecDeque<Bytes>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Ready(self.0.pop_front().map(|chunk| Ok(Frame::data(chunk))))
        }
    }

    fn chunked(chunks: Vec<Vec<u8>>) -> Chunks {
        Chunks(chunks.into_iter().map(Bytes::from).collect())
    }

    /// `data` cut into chunks of `size` bytes.
    fn split(data: &[u8], size: usize) -> Vec<Vec<u8>> {
        data.chunks(size).map(<[u8]>::to_vec).collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        let _ = encoder.write_all(data);
        encoder.finish().unwrap_or_default()
    }

    /// Bytes that compress, but not to nothing.
    fn sample(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ (i / 1000) as u8)
            .collect()
    }

    async fn read_all(
        chunks: Vec<Vec<u8>>,
        coding: ContentCoding,
        limit: usize,
    ) -> Result<Vec<u8>, BodyError> {
        read(chunked(chunks), coding, limit, None).await
    }

    /// Guarantees: a body is read whole, whatever its chunking, plain or gzipped (a stream of
    /// several gzip members too, as Go's reader reads them), up to exactly the limit.
    #[tokio::test]
    async fn reads_whole_bodies() -> Result<(), BodyError> {
        let data = sample(100_000);
        for size in [1, 7, 4096, 100_000] {
            let plain = read_all(split(&data, size), Coding::Identity, data.len()).await?;
            assert_eq!(plain, data, "plain in chunks of {size}");
            let inflated = read_all(split(&gzip(&data), size), Coding::Gzip, data.len()).await?;
            assert_eq!(inflated, data, "gzip in chunks of {size}");
        }
        let mut members = gzip(b"first ");
        members.extend(gzip(b"second"));
        assert_eq!(
            read_all(split(&members, 5), Coding::Gzip, 100).await?,
            b"first second"
        );
        assert_eq!(read_all(Vec::new(), Coding::Identity, 1).await?, b"");
        Ok(())
    }

    /// Guarantees: one byte past the limit is refused, plain, gzipped on the wire and once
    /// inflated; a declared length past the limit is refused before anything is read.
    #[tokio::test]
    async fn refuses_past_the_limit() {
        let data = sample(10_000);
        let too_large = |result: Result<Vec<u8>, BodyError>| {
            assert!(
                matches!(result, Err(BodyError::TooLarge)),
                "{:?}",
                result.map(|bytes| bytes.len())
            );
        };
        too_large(read_all(split(&data, 999), Coding::Identity, data.len() - 1).await);
        // Small on the wire, one byte too many inflated.
        too_large(read_all(vec![gzip(&data)], Coding::Gzip, data.len() - 1).await);
        // Larger on the wire than the limit, whatever it inflates to.
        let noise: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let wire = gzip(&noise);
        too_large(read_all(vec![wire.clone()], Coding::Gzip, wire.len() - 1).await);
        too_large(read(chunked(Vec::new()), Coding::Identity, 10, Some(11)).await);
    }

    /// Scenario: two gzip bombs fed in 1 KiB chunks to a 1 MiB limit: one member of 8 MiB of
    /// zeros (8 KiB on the wire), and 1,024 members of 1 MiB of zeros each (1 GiB inflated from
    /// about 1 MiB; Go's reader reads every member, so this is a bomb for it too).
    /// Guarantees: each is refused as too large once the limit is inflated, having inflated a
    /// small part of its wire bytes, into a buffer that never grew past the limit.
    #[test]
    fn gzip_bombs_are_cut_at_the_limit() -> Result<(), Box<dyn std::error::Error>> {
        const LIMIT: usize = 1 << 20;
        let zeros = vec![0u8; 1 << 20];
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        for _ in 0..8 {
            encoder.write_all(&zeros)?;
        }
        let single = encoder.finish()?;
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&zeros)?;
        let member = encoder.finish()?;
        let many = member.repeat(1024);
        for (name, bomb) in [("one member", single), ("1,024 members", many)] {
            let mut sink = Sink::Gzip(Box::new(MultiGzDecoder::new(Bounded::new(LIMIT, 0))));
            let mut fed = 0;
            let mut outcome = Ok(());
            for chunk in bomb.chunks(1024) {
                fed += chunk.len();
                outcome = sink.write(chunk);
                if outcome.is_err() {
                    break;
                }
            }
            assert!(
                matches!(outcome, Err(BodyError::TooLarge)),
                "{name}: {outcome:?}"
            );
            assert!(
                fed * 2 < bomb.len(),
                "{name}: {fed} of {} wire bytes inflated",
                bomb.len()
            );
            let Sink::Gzip(decoder) = sink else {
                unreachable!("built as gzip")
            };
            let buffer = &decoder.get_ref().bytes;
            assert!(buffer.capacity() <= LIMIT, "{name}: {}", buffer.capacity());
        }
        Ok(())
    }

    /// Guarantees: a corrupt, truncated, empty or trailing-garbage gzip body is refused as
    /// corrupt gzip (not as too large, not as a shorter request).
    #[tokio::test]
    async fn corrupt_gzip_is_refused() {
        let data = sample(5000);
        let whole = gzip(&data);
        let mut flipped = whole.clone();
        flipped[whole.len() / 2] ^= 0xff;
        let mut trailing = whole.clone();
        trailing.extend_from_slice(b"garbage!!!");
        for (name, body) in [
            ("truncated", whole[..whole.len() - 3].to_vec()),
            ("header only", whole[..5].to_vec()),
            ("flipped", flipped),
            ("empty", Vec::new()),
            ("not gzip", b"plain text".to_vec()),
            ("trailing garbage", trailing),
        ] {
            let result = read_all(split(&body, 100), Coding::Gzip, 1 << 20).await;
            assert!(
                matches!(result, Err(BodyError::Gzip(_))),
                "{name}: {:?}",
                result.map(|bytes| bytes.len())
            );
        }
    }

    /// Guarantees: the buffer grows geometrically but never reserves past the limit.
    #[test]
    fn growth_is_capped_at_the_limit() {
        let mut buffer = Bounded::new(1000, 0);
        for _ in 0..999 {
            assert!(buffer.extend(b"x").is_ok());
            assert!(buffer.bytes.capacity() <= 1000);
        }
        assert!(buffer.extend(b"x").is_ok());
        assert!(matches!(buffer.extend(b"x"), Err(BodyError::TooLarge)));
        assert_eq!(buffer.bytes.len(), 1000);
    }

    /// Guarantees: no `Content-Encoding` (or an empty one) is the identity and `gzip` in any
    /// case is gzip; anything else (Go's other codings included) is not read.
    #[test]
    fn content_codings() {
        assert_eq!(ContentCoding::from_header(None), Some(Coding::Identity));
        assert_eq!(
            ContentCoding::from_header(Some(b"")),
            Some(Coding::Identity)
        );
        assert_eq!(
            ContentCoding::from_header(Some(b"GZip")),
            Some(Coding::Gzip)
        );
        for other in [&b"br"[..], b"zstd", b"deflate", b"identity", b"gzip, gzip"] {
            assert_eq!(ContentCoding::from_header(Some(other)), None);
        }
    }
}
