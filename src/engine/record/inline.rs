//! [`InlineWriter`]: text written into a fixed inline buffer while it fits,
//! moved to a `String` when it outgrows it. A short message
//! ([`Message`](crate::engine::message::Message)) and the field values of a
//! compact record are both written through it, so the common record costs
//! no heap allocation on the logging thread.

use std::fmt;

/// Writes text into `buf` from `start` on while it fits, then into a
/// `String` holding everything written since `start`.
#[derive(Debug)]
pub(crate) struct InlineWriter<B> {
    buf: B,
    /// Where this writer's text starts in `buf`.
    start: usize,
    /// End of the text written so far in `buf`.
    end: usize,
    spill: Option<String>,
    /// Least capacity of the `String` made when the text spills.
    min_spill: usize,
}

/// What an [`InlineWriter`] wrote.
#[derive(Debug)]
pub(crate) enum Written<B> {
    /// All of it fit: the buffer, with the text ending at the offset.
    Inline(B, usize),
    /// It outgrew the buffer: the whole text.
    Spilled(String),
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> InlineWriter<B> {
    /// A writer that appends to `buf` after its first `start` bytes, and
    /// spills into a `String` of at least `min_spill` bytes.
    pub(crate) fn new(buf: B, start: usize, min_spill: usize) -> InlineWriter<B> {
        InlineWriter {
            buf,
            start,
            end: start,
            spill: None,
            min_spill,
        }
    }

    /// Appends `text`.
    pub(crate) fn push(&mut self, text: &str) {
        if let Some(spill) = &mut self.spill {
            spill.push_str(text);
            return;
        }
        let end = self.end + text.len();
        match self.buf.as_mut().get_mut(self.end..end) {
            Some(slot) => {
                slot.copy_from_slice(text.as_bytes());
                self.end = end;
            }
            None => {
                let so_far = self.buf.as_ref().get(self.start..self.end);
                let mut spill = String::with_capacity((end - self.start).max(self.min_spill));
                // Only whole `str`s are copied in, so this cannot fail.
                spill.push_str(std::str::from_utf8(so_far.unwrap_or_default()).unwrap_or_default());
                spill.push_str(text);
                self.spill = Some(spill);
            }
        }
    }

    /// What was written.
    pub(crate) fn finish(self) -> Written<B> {
        match self.spill {
            Some(spill) => Written::Spilled(spill),
            None => Written::Inline(self.buf, self.end),
        }
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> fmt::Write for InlineWriter<B> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.push(text);
        Ok(())
    }
}

#[cfg(test)]
mod should {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn write_inline_after_the_start_while_the_text_fits() {
        let mut buf = *b"ab......";
        let mut writer = InlineWriter::new(&mut buf, 2, 0);
        let accent = "é";
        write!(writer, "{}-{accent}", 1).unwrap();
        let Written::Inline(_, end) = writer.finish() else {
            panic!("spilled")
        };
        assert_eq!(end, 6);
        assert_eq!(&buf[..end], "ab1-é".as_bytes());
    }

    #[test]
    fn spill_everything_since_the_start_when_the_text_outgrows_the_buffer() {
        let mut writer = InlineWriter::new([b'x'; 8], 3, 64);
        writer.push("abc");
        writer.push("defgh");
        writer.push("!");
        let Written::Spilled(text) = writer.finish() else {
            panic!("kept inline")
        };
        assert_eq!(text, "abcdefgh!");
        assert!(text.capacity() >= 64);
    }
}
