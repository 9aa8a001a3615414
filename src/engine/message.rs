//! `Message`: a record's text, stored inline when short.
//!
//! A heap `String` made on the logging thread and freed on the persister's
//! costs more than the rest of the hot path together (a cross-thread `free`
//! in the allocator), so messages up to [`INLINE_BYTES`] travel inside the
//! channel slot instead.

use std::fmt;
use std::ops::Deref;

use crate::engine::record::inline::{InlineWriter, Written};

/// Longest message stored without a heap allocation.
pub(crate) const INLINE_BYTES: usize = 110;

#[derive(Clone)]
pub(crate) enum Message {
    Static(&'static str),
    Inline { len: u8, bytes: [u8; INLINE_BYTES] },
    Heap(String),
}

impl Message {
    /// Copies `text`, inline when it fits.
    pub(crate) fn copy(text: &str) -> Message {
        collect(|writer| writer.push(text))
    }

    /// Formats `args`, inline when the result fits.
    pub(crate) fn format(args: &fmt::Arguments<'_>) -> Message {
        collect(|writer| {
            let _ = fmt::write(writer, *args);
        })
    }
}

impl Message {
    /// Heap bytes this message owns.
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Message::Heap(text) => text.capacity(),
            Message::Static(_) | Message::Inline { .. } => 0,
        }
    }
}

impl Deref for Message {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Message::Static(text) => text,
            Message::Inline { len, bytes } => {
                let used = bytes.get(..usize::from(*len)).unwrap_or_default();
                // Read on every search of a snapshot: skip re-validating.
                debug_assert!(std::str::from_utf8(used).is_ok());
                // SAFETY: `InlineWriter` only copies whole `str`s into
                // `bytes` and sets `len` to the end of the last one, so
                // `used` is UTF-8 (`keep_short_text_inline_and_long_text_whole`
                // and the debug assertion above check it).
                unsafe { std::str::from_utf8_unchecked(used) }
            }
            Message::Heap(text) => text,
        }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The text `write` writes, inline while it fits in [`INLINE_BYTES`], else
/// in a `String` of at least twice that. The inline bytes live in this
/// frame and are moved once, into the `Message`.
fn collect(write: impl FnOnce(&mut InlineWriter<&mut [u8; INLINE_BYTES]>)) -> Message {
    let mut bytes = [0; INLINE_BYTES];
    let mut writer = InlineWriter::new(&mut bytes, 0, 2 * INLINE_BYTES);
    write(&mut writer);
    let len = match writer.finish() {
        Written::Inline(_, len) => len,
        Written::Spilled(heap) => return Message::Heap(heap),
    };
    Message::Inline {
        len: u8::try_from(len).unwrap_or(0),
        bytes,
    }
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn keep_short_text_inline_and_long_text_whole() {
        let short = Message::copy("héllo");
        assert!(matches!(short, Message::Inline { .. }));
        assert_eq!(&*short, "héllo");
        let exact = "x".repeat(INLINE_BYTES);
        assert!(matches!(Message::copy(&exact), Message::Inline { .. }));
        let long = "é".repeat(INLINE_BYTES);
        let message = Message::copy(&long);
        assert!(matches!(message, Message::Heap(_)));
        assert_eq!(&*message, long);
    }

    #[test]
    fn spill_to_the_heap_in_the_middle_of_formatting() {
        let part = "y".repeat(INLINE_BYTES - 3);
        let message = Message::format(&format_args!("{part}-{}-{part}", 42));
        assert_eq!(&*message, format!("{part}-42-{part}"));
    }
}
