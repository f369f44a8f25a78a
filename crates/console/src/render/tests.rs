//! Tests of rendering replies as terminal text.

use bot::reply::Table;

use super::*;

fn plain() -> Style {
    Style::default()
}

fn color() -> Style {
    Style { color: true, width: 80 }
}

fn one(block: Block) -> Reply {
    Reply::new(vec![block])
}

fn text(t: &str) -> Inline {
    Inline::Text(t.into())
}

#[test]
fn a_heading_is_bold_with_its_link_in_parentheses() {
    let reply = one(Block::Heading {
        text: "Orders".into(),
        link: Some("https://looker.example/looks/1".into()),
    });
    assert_eq!(render(&reply, &plain()), "*Orders* (https://looker.example/looks/1)");
    assert_eq!(
        render(&reply, &color()),
        "\u{1b}[1mOrders\u{1b}[22m (https://looker.example/looks/1)"
    );
}

#[test]
fn a_heading_link_too_long_for_the_terminal_goes_on_the_next_line() {
    let reply = one(Block::Heading {
        text: "Orders by week".into(),
        link: Some("https://looker.example/dashboards/42".into()),
    });
    let narrow = Style {
        color: false,
        width: 30,
    };
    assert_eq!(
        render(&reply, &narrow),
        "*Orders by week*\nhttps://looker.example/dashboards/42"
    );
}

#[test]
fn a_paragraph_renders_every_kind_of_inline() {
    let reply = one(Block::Paragraph(vec![
        text("a "),
        Inline::Bold("b".into()),
        text(" "),
        Inline::Italic("c".into()),
        text(" "),
        Inline::Code("d".into()),
        text(" "),
        Inline::Link {
            text: "e".into(),
            url: "https://x.example".into(),
        },
        text("\nnext line"),
    ]));
    assert_eq!(
        render(&reply, &plain()),
        "a *b* _c_ `d` e <https://x.example>\nnext line"
    );
    assert_eq!(
        render(&reply, &color()),
        "a \u{1b}[1mb\u{1b}[22m \u{1b}[3mc\u{1b}[23m `d` e <https://x.example>\nnext line"
    );
}

#[test]
fn a_link_whose_text_is_its_url_shows_once() {
    let reply = one(Block::Paragraph(vec![Inline::Link {
        text: "https://x.example".into(),
        url: "https://x.example".into(),
    }]));
    assert_eq!(render(&reply, &plain()), "<https://x.example>");
}

#[test]
fn tones_become_symbols_and_emoji_codes_in_data_stay_text() {
    assert_eq!(
        render(&Reply::warning("Looker is down."), &plain()),
        "⚠️ Looker is down."
    );
    assert_eq!(
        render(&bot::replier::loading_reply(), &plain()),
        "⏳ Looking into that…"
    );
    assert_eq!(
        render(&Reply::text(":warning: from data :x:"), &plain()),
        ":warning: from data :x:"
    );
}

#[test]
fn fields_align_their_values() {
    let reply = one(Block::Fields(vec![
        ("Country".into(), vec![text("France")]),
        ("Orders".into(), vec![Inline::Bold("12".into())]),
        ("Über-Größe".into(), vec![text("yes")]),
    ]));
    assert_eq!(
        render(&reply, &plain()),
        "Country:    France\nOrders:     *12*\nÜber-Größe: yes"
    );
}

#[test]
fn a_table_aligns_wide_characters_and_right_aligns_numbers() {
    let reply = one(Block::Table(Table {
        header: vec!["Product".into(), "Sold".into(), "Revenue".into()],
        rows: vec![
            vec![vec![text("茶碗")], vec![text("3")], vec![text("1,200.50")]],
            vec![vec![text("Mug")], vec![text("1,024")], vec![text("9.99")]],
        ],
        numeric: vec![false, true, true],
    }));
    assert_eq!(
        render(&reply, &plain()),
        "Product   Sold   Revenue\n\
         -------  -----  --------\n\
         茶碗         3  1,200.50\n\
         Mug      1,024      9.99"
    );
}

#[test]
fn images_show_where_they_were_saved_or_their_url() {
    let reply = Reply::new(vec![
        Block::Heading {
            text: "Sales".into(),
            link: Some("https://looker.example/looks/1".into()),
        },
        Block::Image {
            source: ImageSource::Png(vec![1, 2, 3]),
            title: "Sales".into(),
            link: Some("https://looker.example/looks/1".into()),
        },
        Block::Image {
            source: ImageSource::Url("https://bucket.example/chart.png".into()),
            title: "Stored".into(),
            link: Some("https://looker.example/looks/2".into()),
        },
    ]);
    let saved = [PathBuf::from("/tmp/images/sales-1.png")];
    assert_eq!(
        render_with_images(&reply, &plain(), &saved),
        "*Sales* (https://looker.example/looks/1)\n\
         [image: Sales] saved to /tmp/images/sales-1.png\n\
         [image: Stored] <https://bucket.example/chart.png> (https://looker.example/looks/2)"
    );
    assert!(render(&reply, &plain()).contains("[image: Sales] (not saved)"));
}

#[test]
fn buttons_context_and_dividers() {
    let reply = Reply::new(vec![
        Block::Buttons(vec![
            bot::reply::Button {
                label: "Email".into(),
                value: "a".into(),
            },
            bot::reply::Button {
                label: "Refund".into(),
                value: "b".into(),
            },
        ]),
        Block::Divider,
        Block::Context(vec![text("3 more rows not shown.")]),
    ]);
    let narrow = Style {
        color: false,
        width: 10,
    };
    assert_eq!(
        render(&reply, &narrow),
        "[Email] [Refund]\n──────────\n3 more rows not shown."
    );
    assert!(render(&reply, &color()).ends_with("\u{1b}[2m3 more rows not shown.\u{1b}[22m"));
}

#[test]
fn control_characters_from_data_never_reach_the_terminal() {
    let evil = "x\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}1m\ry";
    let reply = Reply::new(vec![
        Block::Heading {
            text: evil.into(),
            link: Some(evil.into()),
        },
        Block::Paragraph(vec![
            text(evil),
            Inline::Bold(evil.into()),
            Inline::Code(evil.into()),
            Inline::Link {
                text: evil.into(),
                url: evil.into(),
            },
        ]),
        Block::Fields(vec![(evil.into(), vec![text(evil)])]),
        Block::Table(Table {
            header: vec![evil.into()],
            rows: vec![vec![vec![text(evil)]]],
            numeric: vec![false],
        }),
        Block::Image {
            source: ImageSource::Url(evil.into()),
            title: evil.into(),
            link: None,
        },
        Block::Buttons(vec![bot::reply::Button {
            label: evil.into(),
            value: evil.into(),
        }]),
        Block::Context(vec![text(evil)]),
    ]);
    let out = render(&reply, &plain());
    assert!(out.contains("x\u{FFFD}]0;pwned\u{FFFD}"), "{out}");
    assert!(
        !out.chars().any(|c| c.is_control() && c != '\n'),
        "control characters left in {out:?}"
    );
    // With color on, the only escapes are the renderer's own style codes.
    let colored = render(&reply, &color());
    let escapes = colored.matches('\u{1b}').count();
    let styles = ["\u{1b}[1m", "\u{1b}[22m", "\u{1b}[2m"]
        .iter()
        .map(|s| colored.matches(s).count())
        .sum::<usize>();
    assert_eq!(escapes, styles, "{colored:?}");
}

#[test]
fn private_replies_are_marked() {
    let single = Reply::text(bot::NOT_UNDERSTOOD).only_asker();
    assert_eq!(
        render(&single, &plain()),
        format!("{} (only you can see this)", bot::NOT_UNDERSTOOD)
    );
    let multi = Reply::new(vec![
        Block::Heading {
            text: "Built-in commands".into(),
            link: None,
        },
        Block::Paragraph(vec![text("help")]),
    ])
    .only_asker();
    assert_eq!(
        render(&multi, &plain()),
        "*Built-in commands*\nhelp\n(only you can see this)"
    );
    assert!(!render(&Reply::text("hi"), &plain()).contains(PRIVATE_MARKER));
}
