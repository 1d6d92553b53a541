//! Descriptions between their forms: what organisers write (Markdown or HTML) into the HTML the
//! domain keeps, and that HTML into the plain text calendars, feeds, link previews and mails show.

use pulldown_cmark::{html, Options, Parser};

/// Where plain text is never wrapped: calendars, feeds and mail clients wrap it themselves.
const NO_WRAP: usize = 1_000_000;

/// HTML of what an organiser wrote: CommonMark (paragraphs from blank lines, lists, links,
/// emphasis, headings), with pasted HTML passed through as CommonMark allows. Not sanitised:
/// the domain sanitises every description it accepts.
pub fn markdown_to_html(source: &str) -> String {
    let parser = Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH);
    let mut out = String::with_capacity(source.len() + source.len() / 4);
    html::push_html(&mut out, parser);
    out
}

/// The text of sanitised HTML as people read it: paragraphs apart by a blank line, line breaks
/// kept, list items one per line, links numbered with their addresses listed after the text,
/// entities decoded.
pub fn plain_text(html: &str) -> String {
    let text = html2text::config::plain_no_decorate()
        .link_footnotes(true)
        .string_from_read(html.as_bytes(), NO_WRAP)
        // Only a nesting too deep to render fails, and descriptions are checked for depth.
        .unwrap_or_else(|_| html.to_string());
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim().to_string()
}

/// One line of at most `max` characters of sanitised HTML, for link previews and lists.
pub fn excerpt(html: &str, max: usize) -> String {
    let text = html2text::config::plain_no_decorate()
        .link_footnotes(false)
        .string_from_read(html.as_bytes(), NO_WRAP)
        .unwrap_or_default();
    shorten(&text.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

/// `text` cut to at most `max` characters, an ellipsis marking the cut.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::sanitise_html;

    #[test]
    fn blank_lines_make_paragraphs_and_markdown_its_markup() {
        let html = sanitise_html(&markdown_to_html(
            "Tous et toutes\n\nDépart **place** de la [République](https://example.org/r)\n\n- banderoles\n- eau\n\n## Programme",
        ));
        assert_eq!(
            html,
            "<p>Tous et toutes</p>\n<p>Départ <strong>place</strong> de la \
             <a href=\"https://example.org/r\" rel=\"noopener noreferrer\">République</a></p>\n\
             <ul>\n<li>banderoles</li>\n<li>eau</li>\n</ul>\n<h2>Programme</h2>\n"
        );
    }

    #[test]
    fn pasted_html_stays_html_and_scripts_go() {
        let html = sanitise_html(&markdown_to_html(
            "<p>Rendez-vous <em>devant</em> la mairie</p>\n<script>alert(1)</script>",
        ));
        assert_eq!(html, "<p>Rendez-vous <em>devant</em> la mairie</p>\n");
    }

    #[test]
    fn plain_text_keeps_paragraphs_lines_and_items_apart() {
        let text = plain_text(
            "<p>Tous et toutes</p><p>Départ place de la R&amp;publique<br>à 14h</p>\
             <ul><li>banderoles</li><li>eau</li></ul><p>l&#39;été &lt;3</p>",
        );
        assert_eq!(
            text,
            "Tous et toutes\n\nDépart place de la R&publique\nà 14h\n* banderoles\n* eau\n\nl'été <3"
        );
    }

    #[test]
    fn plain_text_lists_link_addresses() {
        let text = plain_text("<p>Inscriptions <a href=\"https://example.org/in\">ici</a></p>");
        assert_eq!(text, "Inscriptions [ici][1]\n\n[1]: https://example.org/in");
    }

    #[test]
    fn excerpts_are_one_shortened_line() {
        assert_eq!(
            excerpt(
                "<p>Bring <b>banners</b> &amp; water</p><p>and friends</p>",
                26
            ),
            "Bring banners & water and…"
        );
        assert_eq!(excerpt("<p>Short</p>", 200), "Short");
    }
}
