//! Text as the index sees it: HTML stripped, lower case, accents removed, cut into words; and
//! the snippets shown with results, HTML-escaped with the matching words marked.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Words of a query beyond this many are ignored (a 10,000-character query costs no more).
pub const QUERY_WORDS_MAX: usize = 10;
/// Words shorter than this are matched exactly; from this length on, one typo is forgiven.
pub const TYPO_MIN_LEN: usize = 5;

/// Lower case, without accents or ligatures: "Fête" and "fete" are one word.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The words of `text`, normalised: runs of letters and digits. Everything else (quotes, `-`,
/// `*`, `:`) separates words, so query syntax never reaches a backend.
pub fn words(text: &str) -> Vec<String> {
    normalise(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The words a query searches for: at most [`QUERY_WORDS_MAX`], each at most 40 characters.
pub fn query_words(text: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for word in words(text) {
        let word: String = word.chars().take(40).collect();
        if !seen.contains(&word) {
            seen.push(word);
        }
        if seen.len() == QUERY_WORDS_MAX {
            break;
        }
    }
    seen
}

/// The text of sanitised HTML: tags dropped, the common entities decoded.
pub fn strip_html(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a word of a document matches one of the query's terms: as a prefix, or one typo
/// away for longer terms (what every backend forgives).
fn matches(word: &str, terms: &[String]) -> bool {
    let word = normalise(word);
    terms.iter().any(|t| {
        word.starts_with(t.as_str())
            || (t.chars().count() >= TYPO_MIN_LEN && one_typo_away(t, &word))
    })
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// `text` HTML-escaped, with the words matching `terms` in `<mark>`: the only markup it holds.
pub fn highlight(text: &str, terms: &[String]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        if matches(word, terms) {
            out.push_str("<mark>");
            escape(word, out);
            out.push_str("</mark>");
        } else {
            escape(word, out);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            escape(c.encode_utf8(&mut [0; 4]), &mut out);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// About `width` words of `text` around its first word matching `terms` (its start when none
/// does), highlighted.
pub fn snippet(text: &str, terms: &[String], width: usize) -> String {
    let all: Vec<&str> = text.split_whitespace().collect();
    let first = all
        .iter()
        .position(|w| {
            w.split(|c: char| !c.is_alphanumeric())
                .any(|part| !part.is_empty() && matches(part, terms))
        })
        .unwrap_or(0);
    let start = first.saturating_sub(width / 3);
    let end = (start + width).min(all.len());
    let mut cut = all[start..end].join(" ");
    if start > 0 {
        cut.insert_str(0, "… ");
    }
    if end < all.len() {
        cut.push_str(" …");
    }
    highlight(&cut, terms)
}

/// Whether `candidate` is within one edit (a transposition counts as one) of `word`.
pub fn one_typo_away(word: &str, candidate: &str) -> bool {
    strsim::osa_distance(word, candidate) <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_ligatures_are_folded() {
        assert_eq!(normalise("Fête de l'Œuvre"), "fete de l'oeuvre");
        assert_eq!(
            words("Répair-Café: \"vegan\"*"),
            ["repair", "cafe", "vegan"]
        );
    }

    #[test]
    fn html_is_stripped_and_highlights_are_the_only_markup() {
        assert_eq!(
            strip_html("<p>Bring &amp; fix</p><p>it</p>"),
            "Bring & fix it"
        );
        let terms = vec!["fete".to_string()];
        assert_eq!(
            highlight("<b>La Fête</b>", &terms),
            "&lt;b&gt;La <mark>Fête</mark>&lt;/b&gt;"
        );
    }

    #[test]
    fn a_transposition_is_one_typo() {
        assert!(one_typo_away("marhc", "march"));
        assert!(!one_typo_away("marhc", "mark"));
        let terms = vec!["marhc".to_string()];
        assert_eq!(highlight("March", &terms), "<mark>March</mark>");
    }

    #[test]
    fn long_queries_keep_ten_words() {
        assert_eq!(query_words(&"word ".repeat(2_000)).len(), 1);
        let many: String = (0..50).map(|i| format!("w{i} ")).collect();
        assert_eq!(query_words(&many).len(), QUERY_WORDS_MAX);
    }
}
