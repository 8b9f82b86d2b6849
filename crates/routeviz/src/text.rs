//! Untrusted text: cleaning, bounding, escaping and measuring with the bundled font.

use std::sync::OnceLock;

/// The bundled font: `DejaVu Sans` (see `fonts/LICENSE-DejaVu.txt`).
pub(crate) static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The family name of [`FONT`], written into every SVG.
pub(crate) const FONT_FAMILY: &str = "DejaVu Sans";

/// Removes control characters (C0, C1, DEL), bidi overrides and other invisible formatting
/// characters, collapses whitespace, and shortens the text to `max_chars` characters with an
/// ellipsis.
pub(crate) fn clean(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    let mut count = 0usize;
    let mut pending_space = false;
    let max_chars = max_chars.max(1);
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = count > 0;
            continue;
        }
        if is_invisible(c) {
            continue;
        }
        let needed = usize::from(pending_space) + 1;
        if count + needed > max_chars {
            // Replace the last kept character by the ellipsis.
            if max_chars > 1 {
                out.pop();
                while out.ends_with(' ') {
                    out.pop();
                }
            } else {
                out.clear();
            }
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(c);
        count += 1;
    }
    out
}

fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{FFFE}' | '\u{FFFF}')
        || ('\u{E000}'..='\u{F8FF}').contains(&c)
}

/// Escapes text for XML character data and attribute values.
pub(crate) fn xml_escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Horizontal advances of the bundled font.
struct Metrics {
    face: ttf_parser::Face<'static>,
    units_per_em: f64,
    ascii: [f64; 128],
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let face = ttf_parser::Face::parse(FONT, 0).expect("the bundled font parses");
        let units_per_em = f64::from(face.units_per_em());
        let mut ascii = [0.0; 128];
        for (i, slot) in ascii.iter_mut().enumerate() {
            let c = char::from(i as u8);
            *slot = advance(&face, c);
        }
        Metrics {
            face,
            units_per_em,
            ascii,
        }
    })
}

fn advance(face: &ttf_parser::Face<'_>, c: char) -> f64 {
    face.glyph_index(c)
        .or_else(|| face.glyph_index('\u{FFFD}'))
        .and_then(|g| face.glyph_hor_advance(g))
        .map_or(0.0, f64::from)
}

/// The width of `text` drawn in the bundled font at `size` pixels.
pub(crate) fn width(text: &str, size: f64) -> f64 {
    let m = metrics();
    let units: f64 = text
        .chars()
        .map(|c| {
            if (c as u32) < 128 {
                m.ascii[c as usize]
            } else {
                advance(&m.face, c)
            }
        })
        .sum();
    units / m.units_per_em * size
}

/// `text` shortened with an ellipsis until it is at most `max_w` wide at `size` pixels.
pub(crate) fn fit(text: &str, size: f64, max_w: f64) -> String {
    if width(text, size) <= max_w {
        return text.to_owned();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        while chars.last() == Some(&' ') {
            chars.pop();
        }
        let s: String = chars.iter().chain(std::iter::once(&'…')).collect();
        if width(&s, size) <= max_w {
            return s;
        }
    }
    "…".to_owned()
}

/// `text` wrapped at spaces into lines at most `max_w` wide at `size` pixels, at most
/// `max_lines` of them: a word wider than a line is broken, and text past the last line is cut
/// with an ellipsis.
pub(crate) fn wrap(text: &str, size: f64, max_w: f64, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut rest = false;
    'words: for word in text.split(' ').filter(|w| !w.is_empty()) {
        let joined = if cur.is_empty() {
            word.to_owned()
        } else {
            format!("{cur} {word}")
        };
        if width(&joined, size) <= max_w {
            cur = joined;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
            if lines.len() == max_lines {
                rest = true;
                break;
            }
        }
        // The word alone, broken where it is wider than a line.
        for c in word.chars() {
            cur.push(c);
            if width(&cur, size) > max_w {
                cur.pop();
                lines.push(std::mem::take(&mut cur));
                if lines.len() == max_lines {
                    rest = true;
                    break 'words;
                }
                cur.push(c);
            }
        }
    }
    if !cur.is_empty() {
        if lines.len() < max_lines.max(1) {
            lines.push(cur);
        } else {
            rest = true;
        }
    }
    if rest && let Some(last) = lines.last_mut() {
        *last = fit(&format!("{last}…"), size, max_w);
        if !last.ends_with('…') {
            last.push('…');
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_strips_controls_and_bounds() {
        assert_eq!(clean("a\u{0}b\u{7}c\u{202E}d", 10), "abcd");
        assert_eq!(clean("  a \n\t b  ", 10), "a b");
        assert_eq!(clean("abcdefghij", 5), "abcd…");
        assert_eq!(clean("abcde", 5), "abcde");
        assert_eq!(clean(&"x".repeat(10_000), 32).chars().count(), 32);
        assert_eq!(clean("ab cd", 4), "ab…");
    }

    #[test]
    fn escape_all_markup() {
        let mut s = String::new();
        xml_escape("<script>alert(\"x\")&'</script>", &mut s);
        assert_eq!(
            s,
            "&lt;script&gt;alert(&quot;x&quot;)&amp;&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn fit_shortens_to_width() {
        assert_eq!(fit("AS64500 LAB", 11.0, 1000.0), "AS64500 LAB");
        let f = fit("AS64500 A VERY LONG NAME INDEED", 11.0, 80.0);
        assert!(f.ends_with('…') && width(&f, 11.0) <= 80.0, "{f}");
        assert_eq!(fit("abc", 11.0, 1.0), "…");
    }

    #[test]
    fn wrap_keeps_every_word_within_the_lines() {
        let name = "AS64500 AS Number for New Zealand Government Communications Security Bureau";
        let lines = wrap(name, 11.0, 220.0, 3);
        assert!(lines.len() > 1 && lines.len() <= 3, "{lines:?}");
        assert!(lines.iter().all(|l| width(l, 11.0) <= 220.0), "{lines:?}");
        assert_eq!(lines.join(" "), name, "nothing cut within the limit");
        assert_eq!(wrap("short", 11.0, 160.0, 3), ["short"]);
        let long = wrap(&"N".repeat(500), 11.0, 160.0, 3);
        assert_eq!(long.len(), 3);
        assert!(
            long[2].ends_with('…') && width(&long[2], 11.0) <= 160.0,
            "{long:?}"
        );
    }

    #[test]
    fn widths_from_the_font() {
        let w = width("198.18.0.1", 12.0);
        assert!(w > 50.0 && w < 80.0, "{w}");
        assert!(width("MMMM", 12.0) > width("iiii", 12.0));
        assert!(width("日本", 12.0) > 0.0);
        assert!((width("", 12.0)).abs() < f64::EPSILON);
    }
}
