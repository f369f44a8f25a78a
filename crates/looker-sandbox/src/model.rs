//! A LookML-like model over the sandbox tables: model `thelook`, explores `order_items` and `users`, and the
//! dimensions and measures queries may use, with the labels and value formats Looker would report.

use std::sync::OnceLock;

pub const MODEL: &str = "thelook";

/// How a filter expression on a field is read, and how values are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Number,
    /// A timeframe of a dimension group; `sql` is the truncated value, `raw` the timestamp column filters apply to.
    Date(Timeframe),
    YesNo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeframe {
    Date,
    Week,
    Month,
    Year,
}

impl Timeframe {
    const ALL: [Timeframe; 4] = [
        Timeframe::Date,
        Timeframe::Week,
        Timeframe::Month,
        Timeframe::Year,
    ];

    fn suffix(self) -> &'static str {
        match self {
            Timeframe::Date => "date",
            Timeframe::Week => "week",
            Timeframe::Month => "month",
            Timeframe::Year => "year",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Timeframe::Date => "Date",
            Timeframe::Week => "Week",
            Timeframe::Month => "Month",
            Timeframe::Year => "Year",
        }
    }

    /// SQLite expression truncating a `YYYY-MM-DD HH:MM:SS` column to this timeframe (weeks start on Monday).
    fn sql(self, raw: &str) -> String {
        match self {
            Timeframe::Date => format!("date({raw})"),
            Timeframe::Week => format!("date({raw}, 'weekday 0', '-6 days')"),
            Timeframe::Month => format!("strftime('%Y-%m', {raw})"),
            Timeframe::Year => format!("CAST(strftime('%Y', {raw}) AS INTEGER)"),
        }
    }
}

/// A dimension or a measure.
#[derive(Debug, Clone)]
pub struct Field {
    /// `view.field`.
    pub name: String,
    pub view: &'static str,
    pub view_label: &'static str,
    pub label_short: String,
    pub measure: bool,
    /// Looker's field type: `string`, `number`, `date_month`, `yesno`, `count`, `sum`, ...
    pub looker_type: String,
    pub kind: Kind,
    /// SQL computing the value (for measures, the aggregate).
    pub sql: String,
    /// For dimension-group timeframes: the underlying timestamp column.
    pub raw: Option<String>,
    pub value_format: Option<&'static str>,
    pub group_label: Option<String>,
    /// Data actions (LookML `action:`) offered on this field's cells.
    pub actions: Vec<Action>,
}

impl Field {
    pub fn label(&self) -> String {
        format!("{} {}", self.view_label, self.label_short)
    }

    pub fn is_numeric(&self) -> bool {
        self.measure || self.kind == Kind::Number
    }

    /// The SQL that filters compare with: the raw timestamp for dates, the value otherwise.
    pub fn filter_sql(&self) -> &str {
        self.raw.as_deref().unwrap_or(&self.sql)
    }
}

/// A LookML `action:` on a field, offered as a link of type `action` in results.
#[derive(Debug, Clone)]
pub struct Action {
    pub label: &'static str,
    /// Path on the sandbox host the action posts to (made absolute with the web URL).
    pub path: &'static str,
    pub params: &'static [(&'static str, &'static str)],
    /// Path of the form URL, when the action has a form.
    pub form_path: Option<&'static str>,
}

/// An explore: a base view, its joins, and the views whose fields it exposes.
#[derive(Debug)]
pub struct Explore {
    pub name: &'static str,
    pub label: &'static str,
    pub from_sql: &'static str,
    pub views: &'static [&'static str],
}

pub const EXPLORES: [Explore; 2] = [
    Explore {
        name: "order_items",
        label: "Order Items",
        from_sql: "order_items \
            LEFT JOIN orders ON order_items.order_id = orders.id \
            LEFT JOIN users ON orders.user_id = users.id \
            LEFT JOIN products ON order_items.product_id = products.id",
        views: &["order_items", "orders", "users", "products"],
    },
    Explore {
        name: "users",
        label: "Users",
        from_sql: "users",
        views: &["users"],
    },
];

pub fn explore(model: &str, name: &str) -> Option<&'static Explore> {
    if model != MODEL {
        return None;
    }
    EXPLORES.iter().find(|e| e.name == name)
}

/// Looks a field up by name within an explore.
pub fn field(explore: &Explore, name: &str) -> Option<&'static Field> {
    let view = name.split('.').next()?;
    if !explore.views.contains(&view) {
        return None;
    }
    fields().iter().find(|f| f.name == name)
}

pub fn fields() -> &'static [Field] {
    static FIELDS: OnceLock<Vec<Field>> = OnceLock::new();
    FIELDS.get_or_init(build_fields)
}

const MONEY: Option<&str> = Some("$#,##0.00");
const COUNT: Option<&str> = Some("#,##0");

/// Builds fields for one view with a compact notation.
struct ViewBuilder {
    view: &'static str,
    label: &'static str,
    out: Vec<Field>,
}

impl ViewBuilder {
    fn push(
        &mut self,
        field: &str,
        label: &str,
        measure: bool,
        ty: &str,
        kind: Kind,
        sql: String,
    ) -> &mut Field {
        self.out.push(Field {
            name: format!("{}.{field}", self.view),
            view: self.view,
            view_label: self.label,
            label_short: label.to_owned(),
            measure,
            looker_type: ty.to_owned(),
            kind,
            sql,
            raw: None,
            value_format: None,
            group_label: None,
            actions: Vec::new(),
        });
        self.out.last_mut().expect("just pushed")
    }

    fn dim(&mut self, field: &str, label: &str, kind: Kind, sql: &str) -> &mut Field {
        let ty = match kind {
            Kind::Number => "number",
            Kind::YesNo => "yesno",
            _ => "string",
        };
        self.push(field, label, false, ty, kind, sql.to_owned())
    }

    fn measure(
        &mut self,
        field: &str,
        label: &str,
        ty: &str,
        sql: String,
        format: Option<&'static str>,
    ) -> &mut Field {
        let f = self.push(field, label, true, ty, Kind::Number, sql);
        f.value_format = format;
        f
    }

    /// A dimension group: one dimension per timeframe (`created_date`, `created_week`, ...).
    fn time_group(&mut self, group: &str, label: &str, raw: &str) {
        for tf in Timeframe::ALL {
            let f = self.push(
                &format!("{group}_{}", tf.suffix()),
                &format!("{label} {}", tf.label()),
                false,
                &format!("date_{}", tf.suffix()),
                Kind::Date(tf),
                tf.sql(raw),
            );
            f.raw = Some(raw.to_owned());
            f.group_label = Some(format!("{label} Date"));
        }
    }
}

fn build_fields() -> Vec<Field> {
    let mut all = Vec::new();

    let mut v = ViewBuilder {
        view: "users",
        label: "Users",
        out: Vec::new(),
    };
    v.dim("id", "ID", Kind::Number, "users.id");
    v.dim("first_name", "First Name", Kind::String, "users.first_name");
    v.dim("last_name", "Last Name", Kind::String, "users.last_name");
    v.dim(
        "name",
        "Name",
        Kind::String,
        "(users.first_name || ' ' || users.last_name)",
    );
    v.dim("email", "Email", Kind::String, "users.email");
    v.dim("age", "Age", Kind::Number, "users.age");
    v.dim("state", "State", Kind::String, "users.state");
    v.dim("country", "Country", Kind::String, "users.country");
    v.time_group("created", "Created", "users.created_at");
    v.measure(
        "count",
        "Count",
        "count_distinct",
        "COUNT(DISTINCT users.id)".into(),
        COUNT,
    );
    v.measure(
        "average_age",
        "Average Age",
        "average",
        "AVG(users.age)".into(),
        Some("0.0"),
    );
    all.append(&mut v.out);

    let mut v = ViewBuilder {
        view: "orders",
        label: "Orders",
        out: Vec::new(),
    };
    v.dim("id", "ID", Kind::Number, "orders.id");
    v.dim("status", "Status", Kind::String, "orders.status");
    v.dim(
        "is_complete",
        "Is Complete",
        Kind::YesNo,
        "(orders.status = 'complete')",
    );
    v.time_group("created", "Created", "orders.created_at");
    v.measure(
        "count",
        "Count",
        "count_distinct",
        "COUNT(DISTINCT orders.id)".into(),
        COUNT,
    );
    v.measure(
        "complete_share",
        "Complete Share",
        "number",
        "AVG(CASE WHEN orders.status = 'complete' THEN 1.0 ELSE 0.0 END)".into(),
        Some("0.0%"),
    );
    all.append(&mut v.out);

    let mut v = ViewBuilder {
        view: "products",
        label: "Products",
        out: Vec::new(),
    };
    v.dim("id", "ID", Kind::Number, "products.id");
    v.dim("name", "Name", Kind::String, "products.name");
    v.dim("category", "Category", Kind::String, "products.category");
    v.dim("brand", "Brand", Kind::String, "products.brand");
    v.dim(
        "retail_price",
        "Retail Price",
        Kind::Number,
        "products.retail_price",
    )
    .value_format = MONEY;
    v.measure(
        "count",
        "Count",
        "count_distinct",
        "COUNT(DISTINCT products.id)".into(),
        COUNT,
    );
    all.append(&mut v.out);

    let mut v = ViewBuilder {
        view: "order_items",
        label: "Order Items",
        out: Vec::new(),
    };
    v.dim("id", "ID", Kind::Number, "order_items.id");
    v.dim(
        "sale_price",
        "Sale Price",
        Kind::Number,
        "order_items.sale_price",
    )
    .value_format = MONEY;
    v.measure(
        "count",
        "Count",
        "count",
        "COUNT(order_items.id)".into(),
        COUNT,
    );
    v.measure(
        "total_sale_price",
        "Total Sale Price",
        "sum",
        "SUM(order_items.sale_price)".into(),
        MONEY,
    )
    .actions = vec![
        Action {
            label: "Ping the sales team",
            path: "/actions/ping",
            params: &[("team", "sales")],
            form_path: None,
        },
        Action {
            label: "Send to a channel",
            path: "/actions/send",
            params: &[("kind", "revenue")],
            form_path: Some("/actions/send/form"),
        },
    ];
    v.measure(
        "average_sale_price",
        "Average Sale Price",
        "average",
        "AVG(order_items.sale_price)".into(),
        MONEY,
    );
    all.append(&mut v.out);

    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_resolve_only_within_their_explore() {
        let order_items = explore(MODEL, "order_items").unwrap();
        let users = explore(MODEL, "users").unwrap();
        assert!(field(order_items, "products.category").is_some());
        assert!(field(users, "products.category").is_none());
        let month = field(users, "users.created_month").unwrap();
        assert_eq!(month.looker_type, "date_month");
        assert_eq!(month.label(), "Users Created Month");
        assert!(explore("other", "users").is_none());
    }
}
