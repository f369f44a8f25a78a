//! Tests of rendering replies as Block Kit: shapes, limits and escaping.

use super::*;
use bot::reply::{Block, Button, ImageSource, Inline, Reply, Table};
use serde_json::{Value, json};

/// A rendered message with its blocks as the JSON Slack receives.
struct Rendered {
    text: String,
    blocks: Vec<Value>,
    uploads: Vec<PendingUpload>,
}

fn render(reply: &Reply) -> Rendered {
    let rendered = super::render(reply);
    Rendered {
        text: rendered.text,
        blocks: rendered
            .blocks
            .iter()
            .map(|b| serde_json::to_value(b).unwrap())
            .collect(),
        uploads: rendered.uploads,
    }
}

fn all_mrkdwn(rendered: &Rendered) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("mrkdwn") {
                    out.push_str(map["text"].as_str().unwrap_or_default());
                    out.push('\n');
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    rendered.blocks.iter().for_each(|b| walk(b, &mut out));
    out
}

#[test]
fn user_and_data_text_cannot_ping_or_forge_links() {
    let reply = Reply::new(vec![
        Block::Heading {
            text: "Sales & <!channel>".into(),
            link: Some("https://looker.example.com/looks/1".into()),
        },
        Block::Paragraph(vec![
            Inline::Text("hi <!channel> see <https://evil|x> & co".into()),
            Inline::Bold("<b>".into()),
        ]),
        Block::Fields(vec![("A&B".into(), vec![Inline::Text("<!here>".into())])]),
        Block::Context(vec![Inline::Link {
            text: "<https://evil|x>".into(),
            url: "https://ok.example.com/a?x=1&y=2".into(),
        }]),
    ]);
    let rendered = render(&reply);
    let text = all_mrkdwn(&rendered);
    assert!(
        !text.contains("<!channel>") && !text.contains("<!here>") && !text.contains("<https://evil"),
        "{text}"
    );
    assert!(text.contains("&lt;!channel&gt;"), "{text}");
    assert!(text.contains("Sales &amp; &lt;!channel&gt;"), "{text}");
    assert!(
        text.contains("*<https://looker.example.com/looks/1|Sales &amp; &lt;!channel&gt;>*"),
        "{text}"
    );
    assert!(text.contains("*&lt;b&gt;*"), "{text}");
    assert!(text.contains("*A&amp;B*\n&lt;!here&gt;"), "{text}");
    assert!(
        text.contains("<https://ok.example.com/a?x=1&amp;y=2|&lt;https://evil\u{2758}x&gt;>"),
        "{text}"
    );
    assert!(!rendered.text.contains("<!channel>"));
    assert!(rendered.text.contains("&lt;!channel&gt;"));
}

#[test]
fn links_only_for_http_urls_and_pipes_encoded() {
    assert_eq!(link("javascript:alert(1)", "x"), "x");
    assert_eq!(
        link("https://a.example.com/p?q=a|b>c", "t"),
        "<https://a.example.com/p?q=a%7Cb%3Ec|t>"
    );
    assert_eq!(safe_url("ftp://x"), None);
}

#[test]
fn table_becomes_a_table_block_with_limits() {
    let rows: Vec<Vec<Vec<Inline>>> = (0..150)
        .map(|i| vec![vec![Inline::Text(format!("<{i}>"))], vec![Inline::Text(i.to_string())]])
        .collect();
    let table = Table {
        header: vec!["Name".into(), "Count".into()],
        rows,
        numeric: vec![false, true],
    };
    let rendered = render(&Reply::new(vec![Block::Table(table)]));
    let block = &rendered.blocks[0];
    assert_eq!(block["type"], "table");
    let rows = block["rows"].as_array().unwrap();
    assert_eq!(rows.len(), MAX_TABLE_ROWS);
    assert_eq!(rows[0][0], json!({ "type": "raw_text", "text": "Name" }));
    assert_eq!(
        rows[1][0]["text"], "<0>",
        "raw_text is never parsed, so it stays unescaped"
    );
    assert_eq!(block["column_settings"][1]["align"], "right");
    assert!(all_mrkdwn(&rendered).contains("51 more rows"));
    assert!(rendered.text.contains("Name | Count"));
}

#[test]
fn wide_tables_are_cut_to_twenty_columns_and_links_become_rich_text() {
    let header: Vec<String> = (0..25).map(|i| format!("c{i}")).collect();
    let mut row: Vec<Vec<Inline>> = (0..25).map(|i| vec![Inline::Text(i.to_string())]).collect();
    row[0] = vec![Inline::Link {
        text: "open".into(),
        url: "https://x.example.com".into(),
    }];
    let table = Table {
        header,
        rows: vec![row],
        numeric: vec![],
    };
    let rendered = render(&Reply::new(vec![Block::Table(table.clone()), Block::Table(table)]));
    assert_eq!(
        rendered.blocks[0]["rows"][0].as_array().unwrap().len(),
        MAX_TABLE_COLUMNS
    );
    assert_eq!(rendered.blocks[0]["rows"][1][0]["type"], "rich_text");
    assert!(all_mrkdwn(&rendered).contains("5 more columns"));
    let tables = rendered.blocks.iter().filter(|b| b["type"] == "table").count();
    assert_eq!(tables, 1, "one table block per message");
}

#[test]
fn fields_split_into_sections_of_ten() {
    let fields: Vec<(String, Vec<Inline>)> = (0..23)
        .map(|i| (format!("f{i}"), vec![Inline::Text("v".into())]))
        .collect();
    let rendered = render(&Reply::new(vec![Block::Fields(fields)]));
    let sizes: Vec<usize> = rendered
        .blocks
        .iter()
        .map(|b| b["fields"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![10, 10, 3]);
}

#[test]
fn images_by_url_are_blocks_and_png_bytes_are_left_to_upload() {
    let reply = Reply::new(vec![
        Block::Image {
            source: ImageSource::Url("https://img.example.com/a.png".into()),
            title: "Chart".into(),
            link: None,
        },
        Block::Image {
            source: ImageSource::Png(vec![1, 2, 3]),
            title: "Sales by week".into(),
            link: None,
        },
        Block::Image {
            source: ImageSource::Url("javascript:x".into()),
            title: "bad".into(),
            link: None,
        },
    ]);
    let rendered = render(&reply);
    assert_eq!(rendered.blocks[0]["type"], "image");
    assert_eq!(rendered.blocks[0]["image_url"], "https://img.example.com/a.png");
    assert_eq!(
        rendered.uploads,
        vec![PendingUpload {
            png: vec![1, 2, 3],
            title: "Sales by week".into(),
            filename: "Sales_by_week.png".into()
        }]
    );
    assert!(rendered.blocks.iter().all(|b| b["image_url"] != "javascript:x"));
}

#[test]
fn buttons_have_unique_action_ids_and_bounded_values() {
    let mut buttons: Vec<Button> = (0..30)
        .map(|i| Button {
            label: format!("b{i}"),
            value: format!("v{i}"),
        })
        .collect();
    buttons.push(Button {
        label: "huge".into(),
        value: "x".repeat(MAX_BUTTON_VALUE + 1),
    });
    let rendered = render(&Reply::new(vec![
        Block::Buttons(buttons.clone()),
        Block::Buttons(buttons),
    ]));
    let ids: Vec<String> = rendered
        .blocks
        .iter()
        .flat_map(|b| {
            b["elements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["action_id"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(ids.len(), 60);
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
    assert!(
        rendered
            .blocks
            .iter()
            .all(|b| b["elements"].as_array().unwrap().len() <= MAX_BUTTONS_PER_BLOCK)
    );
}

#[test]
fn long_text_and_many_blocks_are_cut_with_a_note() {
    let long = "a&b ".repeat(2000);
    let mut blocks = vec![Block::Paragraph(vec![Inline::Text(long)])];
    blocks.extend((0..60).map(|_| Block::Divider));
    let rendered = render(&Reply::new(blocks));
    assert_eq!(rendered.blocks.len(), MAX_BLOCKS);
    let first = rendered.blocks[0]["text"]["text"].as_str().unwrap();
    assert!(first.chars().count() <= MAX_SECTION_TEXT, "{}", first.len());
    assert!(first.contains("more"));
    assert!(!first.trim_end_matches(|c: char| c != '\u{2026}').ends_with("&\u{2026}"));
    assert!(
        rendered.blocks[MAX_BLOCKS - 1]["elements"][0]["text"]
            .as_str()
            .unwrap()
            .contains("12 more blocks")
    );
    assert!(rendered.text.chars().count() <= MAX_FALLBACK_TEXT);
}

#[test]
fn cut_never_splits_an_entity_or_a_link() {
    let text = format!("{}&amp;rest", "x".repeat(2990));
    let cut_text = cut(&text, 3000);
    assert!(
        !cut_text.contains("&am\u{2026}") && !cut_text.contains("&\u{2026}"),
        "{cut_text}"
    );
    let text = format!(
        "{}<https://a.example.com|label> tail {}",
        "x".repeat(2960),
        "y".repeat(100)
    );
    let cut_text = cut(&text, 3000);
    assert!(
        cut_text.matches('<').count() == cut_text.matches('>').count(),
        "{cut_text}"
    );
}

#[test]
fn fallback_text_is_always_set() {
    let rendered = render(&Reply::text("Done & dusted"));
    assert_eq!(rendered.text, "Done &amp; dusted");
    assert_eq!(rendered.blocks[0]["text"]["text"], "Done &amp; dusted");
}

#[test]
fn formatting_marks_from_data_do_not_format_headings_or_the_fallback_text() {
    let marked = "*bold* _italic_ ~strike~ `code`";
    for link in [None, Some("https://looker.example.com/looks/1".to_string())] {
        let reply = Reply::new(vec![
            Block::Heading {
                text: marked.into(),
                link,
            },
            Block::Paragraph(vec![Inline::Text(marked.into())]),
        ]);
        let rendered = render(&reply);
        let heading = rendered.blocks[0]["text"]["text"].as_str().unwrap();
        let inside = heading.strip_prefix('*').and_then(|h| h.strip_suffix('*')).unwrap();
        assert!(!inside.contains(['*', '_', '~', '`']), "{heading}");
        assert!(inside.contains("bold") && inside.contains("code"), "{heading}");
        assert!(!rendered.text.contains(['*', '_', '~', '`']), "{}", rendered.text);
    }
    assert_eq!(
        without_formatting(":white_check_mark: a_b :x"),
        ":white_check_mark: a\u{02CD}b :x",
        "emoji codes keep their underscores"
    );
}

#[test]
fn tones_are_slack_emoji_in_blocks_fallback_and_table_cells() {
    use bot::reply::Tone;
    let warning = render(&Reply::warning("Looker is down."));
    assert_eq!(all_mrkdwn(&warning), ":warning: Looker is down.\n");
    assert_eq!(warning.text, ":warning: Looker is down.");
    let done = render(&Reply::notice(Tone::Success, "Pinged!"));
    assert_eq!(done.text, ":white_check_mark: Pinged!");
    let table = Reply::new(vec![Block::Table(Table {
        header: vec!["state".into()],
        rows: vec![vec![vec![Inline::Icon(Tone::Failure), Inline::Text("failed".into())]]],
        numeric: vec![false],
    })]);
    let cell = &render(&table).blocks[0]["rows"][1][0];
    assert_eq!(
        cell["elements"][0]["elements"][0],
        json!({ "type": "emoji", "name": "x" }),
        "{cell}"
    );
}
