//! Each served operation answers with the spec's shape and the expected content.

mod common;

use common::{assert_operation_response, start};
use looker_sandbox::content;
use serde_json::{Value, json};

#[tokio::test]
async fn versions_at_root_and_under_api() {
    let c = start().await;
    for url in [format!("{}/versions", c.sandbox.web_url()), c.url("/versions")] {
        let body: Value = c.http.get(&url).send().await.unwrap().json().await.unwrap();
        assert_operation_response("versions", &body);
        let v40 = body["supported_versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["version"] == "4.0")
            .unwrap();
        assert_eq!(v40["status"], "current");
        assert_eq!(body["api_server_url"], c.sandbox.web_url());
        assert_eq!(body["web_server_url"], c.sandbox.web_url());
    }
    assert_eq!(
        c.sandbox.calls("versions"),
        1,
        "only the /api/4.0 call is an operation call"
    );
    let swagger: Value = c
        .http
        .get(c.url("/swagger.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(swagger["openapi"], "3.0.0");
}

#[tokio::test]
async fn login_shapes_and_bad_credentials() {
    let c = start().await;
    let form = [
        ("client_id", c.sandbox.client_id()),
        ("client_secret", c.sandbox.client_secret()),
    ];
    let body: Value = c
        .http
        .post(c.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_operation_response("login", &body);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    // Query parameters are accepted too.
    let res = c.http.post(c.url("/login")).query(&form).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let bad = [("client_id", "sandbox-client"), ("client_secret", "wrong")];
    let res = c.http.post(c.url("/login")).form(&bad).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["message"], "Not found");
    assert!(body["documentation_url"].is_string());
    assert_eq!(c.sandbox.calls("login"), 4);
}

#[tokio::test]
async fn me_and_logout() {
    let c = start().await;
    let me = c.get_json("/user").await;
    assert_operation_response("me", &me);
    let res = c
        .http
        .delete(c.url("/logout"))
        .header("Authorization", format!("token {}", c.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(c.get("/user").await.status(), 401, "the token is gone after logout");
}

#[tokio::test]
async fn looks_and_searches() {
    let c = start().await;
    let look = c.get_json(&format!("/looks/{}", content::TABLE_LOOK_ID)).await;
    assert_operation_response("look", &look);
    assert_eq!(
        look["query"]["share_url"],
        format!("{}/x/{}", c.sandbox.web_url(), content::TABLE_LOOK_SHARE_SLUG)
    );
    assert_eq!(
        look["url"],
        format!("{}/looks/{}", c.sandbox.web_url(), content::TABLE_LOOK_ID)
    );
    assert_eq!(c.get("/looks/999").await.status(), 404);

    let all = c.get_json("/looks").await;
    assert_operation_response("all_looks", &all);
    assert_eq!(all.as_array().unwrap().len(), 12);

    let found = c.get_json("/looks/search?title=%25orders%25").await;
    assert_operation_response("search_looks", &found);
    let titles: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Orders by Status", "Orders per Month", "Orders"]);
    let none = c.get_json("/looks/search?title=orders%20by").await;
    assert!(
        none.as_array().unwrap().is_empty(),
        "without wildcards the title must match exactly"
    );
    let limited = c.get_json("/looks/search?folder_id=4&limit=2&offset=1").await;
    assert_eq!(limited.as_array().unwrap().len(), 2);
    assert_eq!(limited[0]["id"], "2");

    let kinds: Vec<Value> = futures_kinds(&c).await;
    assert_eq!(
        kinds,
        [
            "table",
            "single_value",
            "looker_single_record",
            "looker_column",
            "looker_line",
            "looker_pie"
        ]
    );
    let names = c.get_json(&format!("/looks/{}", content::VIEW_NAMES_LOOK_ID)).await;
    assert_eq!(names["query"]["vis_config"]["show_view_names"], true);
    let hidden = c.get_json(&format!("/looks/{}", content::HIDDEN_FIELDS_LOOK_ID)).await;
    assert_eq!(
        hidden["query"]["vis_config"]["hidden_fields"],
        json!(["users.average_age"])
    );
    let pivot = c.get_json(&format!("/looks/{}", content::PIVOT_LOOK_ID)).await;
    assert_eq!(pivot["query"]["pivots"], json!(["orders.status"]));
}

async fn futures_kinds(c: &common::Client) -> Vec<Value> {
    let mut kinds = Vec::new();
    for id in ["1", "2", "3", "4", "5", "6"] {
        kinds.push(c.get_json(&format!("/looks/{id}")).await["query"]["vis_config"]["type"].clone());
    }
    kinds
}

#[tokio::test]
async fn dashboards_and_elements() {
    let c = start().await;
    let d = c
        .get_json(&format!("/dashboards/{}", content::SALES_DASHBOARD_ID))
        .await;
    assert_operation_response("dashboard", &d);
    assert_eq!(d["dashboard_elements"].as_array().unwrap().len(), 3);
    assert_eq!(d["dashboard_filters"][0]["title"], "State");
    assert_eq!(d["dashboard_filters"][0]["dimension"], "users.state");
    let listen = &d["dashboard_elements"][1]["result_maker"]["filterables"][0]["listen"][0];
    assert_eq!(listen["dashboard_filter_name"], content::STATE_FILTER_NAME);
    assert_eq!(listen["field"], "users.state");

    let legacy = c
        .get_json(&format!("/dashboards/{}", content::CUSTOMERS_DASHBOARD_ID))
        .await;
    assert_operation_response("dashboard", &legacy);
    let old_form = &legacy["dashboard_elements"][0];
    assert_eq!(old_form["listen"]["State"], "users.state");
    assert!(old_form["result_maker"].is_null());
    assert!(d["dashboard_elements"][0].get("listen").is_none());

    let elements = c
        .get_json(&format!(
            "/dashboards/{}/dashboard_elements",
            content::SALES_DASHBOARD_ID
        ))
        .await;
    assert_operation_response("dashboard_dashboard_elements", &elements);
    assert_eq!(elements[0]["look_id"], content::SINGLE_VALUE_LOOK_ID);

    let found = c.get_json("/dashboards/search?title=%25hidden%25").await;
    assert_operation_response("search_dashboards", &found);
    assert_eq!(found[0]["id"], content::HIDDEN_DASHBOARD_ID);
    let orders = c.get_json("/dashboards/search?title=%25ORDERS%25").await;
    assert_eq!(orders[0]["id"], content::MARKETING_DASHBOARD_ID);
    let in_folder = c
        .get_json(&format!(
            "/dashboards/search?folder_id={}",
            content::CUSTOM_COMMAND_FOLDER_ID
        ))
        .await;
    assert_eq!(in_folder.as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn dashboard_filters_have_defaults_required_flags_and_listeners() {
    let c = start().await;
    let weekly = c
        .get_json(&format!("/dashboards/{}", content::WEEKLY_SALES_DASHBOARD_ID))
        .await;
    assert_operation_response("dashboard", &weekly);
    let filters = weekly["dashboard_filters"].as_array().unwrap();
    let titles: Vec<&str> = filters.iter().map(|f| f["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["State", "Category", "Date"]);
    assert_eq!(filters[2]["name"], "date");
    assert_eq!(filters[2]["default_value"], content::WEEKLY_SALES_DATE_DEFAULT);
    assert_eq!(filters[0]["default_value"], "");
    assert_eq!(filters[0]["required"], false);
    let listened = |tile: usize| -> Vec<(String, String)> {
        weekly["dashboard_elements"][tile]["result_maker"]["filterables"][0]["listen"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let text = |key: &str| l[key].as_str().unwrap().to_string();
                (text("dashboard_filter_name"), text("field"))
            })
            .collect()
    };
    assert_eq!(listened(0).len(), 2, "the first tile ignores Category");
    assert!(listened(1).contains(&("category".into(), "products.category".into())));

    let brand = c
        .get_json(&format!("/dashboards/{}", content::BRAND_REPORT_DASHBOARD_ID))
        .await;
    assert_operation_response("dashboard", &brand);
    assert_eq!(brand["dashboard_filters"][0]["required"], true);
}

#[tokio::test]
async fn explores_name_their_fields_and_fields_suggest_their_values() {
    let c = start().await;
    let explore = c.get_json("/lookml_models/thelook/explores/order_items").await;
    assert_operation_response("lookml_model_explore", &explore);
    let status = explore["fields"]["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "orders.status")
        .expect("orders.status");
    assert_eq!(status["label"], "Orders Status");
    assert_eq!(status["label_short"], "Status");
    assert_eq!(status["suggestable"], true);
    assert_eq!(c.get("/lookml_models/thelook/explores/nope").await.status(), 404);

    let states = c
        .get_json("/models/thelook/views/order_items/fields/users.state/suggestions")
        .await;
    assert_operation_response("model_fieldname_suggestions", &states);
    let values: Vec<&str> = states["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        values.contains(&"California") && values.contains(&"Texas"),
        "{values:?}"
    );
    assert!(!values.contains(&""), "empty values are not suggested");
    assert_eq!(states["hit_limit"], false);
    let termed = c
        .get_json("/models/thelook/views/order_items/fields/users.state/suggestions?term=YOR")
        .await;
    assert_eq!(termed["suggestions"], json!(["New York"]));
    let numbers = c
        .get_json("/models/thelook/views/order_items/fields/orders.id/suggestions")
        .await;
    assert_eq!(numbers["suggestions"], json!([]), "only strings are suggestable");
    assert_eq!(
        c.get("/models/thelook/views/order_items/fields/nope.nope/suggestions")
            .await
            .status(),
        404
    );
    assert!(c.sandbox.violations().is_empty(), "{:?}", c.sandbox.violations());
}

#[tokio::test]
async fn folders() {
    let c = start().await;
    let id = content::CUSTOM_COMMAND_FOLDER_ID;
    let folder = c.get_json(&format!("/folders/{id}")).await;
    assert_operation_response("folder", &folder);
    assert_eq!(folder["name"], "Lookerbot");
    assert_eq!(folder["child_count"], 1);
    let children = c.get_json(&format!("/folders/{id}/children")).await;
    assert_operation_response("folder_children", &children);
    assert_eq!(children[0]["id"], content::CUSTOM_COMMAND_SUBFOLDER_ID);
    let dashboards = c.get_json(&format!("/folders/{id}/dashboards")).await;
    assert_operation_response("folder_dashboards", &dashboards);
    let titles: Vec<&str> = dashboards
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Sales", "Customers", "Margins [hidden]", "Weekly Sales", "Brand Report"]
    );
    let command_looks = c.get_json(&format!("/folders/{id}/looks")).await;
    assert_operation_response("folder_looks", &command_looks);
    assert_eq!(command_looks[0]["id"], content::ORDERS_LOOK_ID);
    assert_eq!(command_looks[0]["query"]["filters"]["orders.status"], "");
    assert_eq!(command_looks[1]["title"], "Order Statuses [hidden]");
    let sub = c
        .get_json(&format!("/folders/{}/dashboards", content::CUSTOM_COMMAND_SUBFOLDER_ID))
        .await;
    assert_eq!(sub[0]["id"], content::RETURNS_DASHBOARD_ID);
    let looks = c
        .get_json(&format!("/folders/{}/looks", content::MARKETING_FOLDER_ID))
        .await;
    assert_operation_response("folder_looks", &looks);
    assert_eq!(looks.as_array().unwrap().len(), 6);
    let found = c.get_json("/folders/search?name=lookerbot").await;
    assert_operation_response("search_folders", &found);
    assert_eq!(found[0]["id"], id);
    assert_eq!(c.get("/folders/99/children").await.status(), 404);
}

#[tokio::test]
async fn queries_create_and_fetch() {
    let c = start().await;
    let q = c.get_json("/queries/1").await;
    assert_operation_response("query", &q);
    let by_slug = c
        .get_json(&format!("/queries/slug/{}", content::TABLE_LOOK_SHARE_SLUG))
        .await;
    assert_operation_response("query_for_slug", &by_slug);
    assert_eq!(by_slug["id"], "1");

    let body = json!({"model": "thelook", "view": "users", "fields": ["users.state", "users.count"], "limit": "5"});
    let res = c.post("/queries", &body).await;
    assert_eq!(res.status(), 200);
    let created: Value = res.json().await.unwrap();
    assert_operation_response("create_query", &created);
    let again: Value = c.post("/queries", &body).await.json().await.unwrap();
    assert_eq!(created["id"], again["id"], "identical queries are saved once");
    let slug = created["slug"].as_str().unwrap();
    assert_eq!(created["share_url"], format!("{}/x/{slug}", c.sandbox.web_url()));
    let rows = c
        .get_json(&format!("/queries/{}/run/json", created["id"].as_str().unwrap()))
        .await;
    assert_eq!(rows.as_array().unwrap().len(), 5);
    // The web pages the bot links to exist.
    let page = c
        .http
        .get(format!("{}/x/{slug}", c.sandbox.web_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = c
        .http
        .get(format!("{}/dashboards/1", c.sandbox.web_url()))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Sales"));
}

#[tokio::test]
async fn fields_parameter_keeps_listed_keys() {
    let c = start().await;
    let look = c.get_json("/looks/1?fields=id,title").await;
    let mut keys: Vec<&String> = look.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["id", "title"]);
    let looks = c.get_json("/looks?fields=id").await;
    assert!(
        looks
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l.as_object().unwrap().len() == 1)
    );
    // run_query has no `fields` parameter: it does not filter result rows.
    let rows = c.get_json("/queries/1/run/json?fields=id").await;
    assert!(rows[0]["orders.status"].is_string());
}

#[tokio::test]
async fn data_actions() {
    let c = start().await;
    let detail = c
        .get_json(&format!("/queries/{}/run/json_detail", content::SINGLE_VALUE_LOOK_ID))
        .await;
    let links = detail["data"][0]["order_items.total_sale_price"]["links"]
        .as_array()
        .unwrap()
        .clone();
    let actions: Vec<&Value> = links.iter().filter(|l| l["type"] == "action").collect();
    assert_eq!(actions.len(), 2);
    let ping = actions.iter().find(|a| a["form_url"].is_null()).unwrap();
    assert_eq!(ping["type_label"], "Action");
    assert!(ping["url"].as_str().unwrap().ends_with("/ping"));
    assert_eq!(ping["form_params"], json!([]));
    let with_form = actions.iter().find(|a| a["form_url"].is_string()).unwrap();

    let res: Value = c
        .post("/data_actions", &json!({"action": ping}))
        .await
        .json()
        .await
        .unwrap();
    assert_operation_response("perform_data_action", &res);
    assert_eq!(res["success"], true);
    assert_eq!(res["message"], "Pinged!");

    let form_body = json!({"url": with_form["form_url"]});
    let form: Value = c.post("/data_actions/form", &form_body).await.json().await.unwrap();
    assert_operation_response("fetch_remote_data_action_form", &form);
    assert_eq!(form["fields"][0]["name"], "channel");

    let missing: Value = c
        .post("/data_actions", &json!({"action": with_form, "form_values": {}}))
        .await
        .json()
        .await
        .unwrap();
    assert_operation_response("perform_data_action", &missing);
    assert_eq!(missing["success"], false);
    assert_eq!(missing["validation_errors"]["errors"][0]["field"], "channel");
    let failing = json!({"action": with_form, "form_values": {"channel": "C0SANDBOX1", "message": "fail"}});
    let failed: Value = c.post("/data_actions", &failing).await.json().await.unwrap();
    assert_eq!(failed["success"], false);
    let sent = json!({"action": with_form, "form_values": {"channel": "C0SANDBOX1"}});
    let ok: Value = c.post("/data_actions", &sent).await.json().await.unwrap();
    assert_eq!(ok["success"], true);
    assert_eq!(c.sandbox.performed_data_actions().len(), 4);
    assert_eq!(
        c.sandbox.performed_data_actions()[3]["form_values"]["channel"],
        "C0SANDBOX1"
    );
}

#[tokio::test]
async fn every_call_leaves_a_timed_span_named_by_its_operation() {
    let c = start().await;
    let before = std::time::Instant::now();
    c.sandbox.clear_handler_spans();
    assert_eq!(c.get(&format!("/looks/{}", content::TABLE_LOOK_ID)).await.status(), 200);
    c.http
        .get(format!("{}/looks/1", c.sandbox.web_url()))
        .send()
        .await
        .unwrap();
    let spans = c.sandbox.handler_spans();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["look", "/looks/1"]);
    assert!(spans.iter().all(|s| before <= s.start && s.start <= s.end));
    c.sandbox.clear_handler_spans();
    assert!(c.sandbox.handler_spans().is_empty());
}
