use super::*;

fn fixture(name: &str) -> Plan {
    let path = format!("{}/server/plan/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let json = std::fs::read_to_string(&path).expect("fixture");
    parse_plan(&json).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn malformed_detail(json: &str) -> String {
    match parse_plan(json) {
        Err(PlanError::Malformed { detail }) => detail,
        other => panic!("expected Malformed for {json:?}, got {other:?}"),
    }
}

#[test]
fn verbose_plan_has_schema_qualified_relation_and_query_identifier() {
    let plan = fixture("seq_scan_filter_verbose.json");
    assert_eq!(plan.query_identifier, Some(-3136487893817419659));
    assert_eq!(plan.root.node_type, "Aggregate");
    assert_eq!(plan.root.strategy.as_deref(), Some("Plain"));
    let scan = &plan.root.children[0];
    assert_eq!(scan.node_type, "Seq Scan");
    assert_eq!(scan.relation.as_deref(), Some("public.big"));
    assert_eq!(scan.alias.as_deref(), Some("big"));
    assert_eq!(scan.filter.as_deref(), Some("(big.cat = 7)"));
    assert_eq!(scan.parent_relationship.as_deref(), Some("Outer"));
    assert_eq!((scan.startup_cost, scan.total_cost), (0.0, 2185.0));
    assert_eq!(scan.plan_rows, 943.0);
    assert!(plan.actual_free());
}

#[test]
fn join_tree_keeps_every_node_and_condition() {
    let plan = fixture("hash_join.json");
    let types: Vec<&str> = plan.root.walk().map(|n| n.node_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "Aggregate",
            "Gather Merge",
            "Aggregate",
            "Sort",
            "Hash Join",
            "Seq Scan",
            "Hash",
            "Seq Scan"
        ]
    );
    let join = plan
        .root
        .walk()
        .find(|n| n.node_type == "Hash Join")
        .unwrap();
    assert_eq!(join.join_type.as_deref(), Some("Inner"));
    assert_eq!(join.hash_cond.as_deref(), Some("(o.customer_id = c.id)"));
    let orders = &join.children[0];
    assert_eq!(orders.relation.as_deref(), Some("orders"));
    assert!(orders.parallel_aware);
    assert_eq!(plan.query_identifier, None);
}

#[test]
fn analyzed_plan_has_measurements() {
    let plan = fixture("analyzed_limit_sort.json");
    assert_eq!(plan.planning_ms, Some(0.927));
    assert_eq!(plan.execution_ms, Some(58.933));
    assert!(plan.is_analyzed());
    let sort = plan.root.walk().find(|n| n.node_type == "Sort").unwrap();
    assert_eq!(sort.sort_key, ["o.total DESC"]);
    let actual = sort.actual.unwrap();
    assert_eq!(
        (actual.total_ms, actual.rows, actual.loops),
        (34.506, 10.0, 2.0)
    );
    let scan = plan
        .root
        .walk()
        .find(|n| n.relation.as_deref() == Some("orders"))
        .unwrap();
    assert_eq!(scan.actual.unwrap().rows_removed_by_filter, Some(98000.0));
}

#[test]
fn index_nodes_and_modify_table() {
    let plan = fixture("hypothetical_index.json");
    assert!(plan.uses_index("<13556>btree_orders_customer_id"));
    assert!(!plan.uses_index("orders_pkey"));
    let bitmap = &plan.root.children[0];
    assert_eq!(bitmap.index_cond.as_deref(), Some("(customer_id = 5)"));
    assert_eq!(plan.root.recheck_cond.as_deref(), Some("(customer_id = 5)"));

    let update = fixture("update.json");
    assert_eq!(update.root.node_type, "ModifyTable");
    assert_eq!(update.root.operation.as_deref(), Some("Update"));
}

#[test]
fn generic_prepared_plan_shows_parameters() {
    let plan = fixture("generic_prepared_verbose.json");
    assert_eq!(plan.query_identifier, Some(-4692794661732555524));
    let scan = &plan.root.children[0];
    assert_eq!(
        scan.filter.as_deref(),
        Some("((orders.customer_id = $1) AND (orders.status = $2))")
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let plan = parse_plan(
        r#"[{"Plan": {"Node Type": "Result", "Startup Cost": 0, "Total Cost": 0.01,
            "Plan Rows": 1, "Plan Width": 4, "Future Field": {"x": [1, 2]}},
            "Settings": {"work_mem": "1GB"}, "JIT": {"Functions": 3}}]"#,
    )
    .unwrap();
    assert_eq!(plan.root.node_type, "Result");
    assert!(plan.root.children.is_empty());
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    for (json, expected) in [
        ("", "not JSON"),
        ("{", "not JSON"),
        ("[]", "expected an array"),
        ("42", "expected an array"),
        ("[{}]", "no \"Plan\""),
        (r#"[{"Plan": {}}]"#, "without \"Node Type\""),
        (
            r#"[{"Plan": {"Node Type": 3}}]"#,
            "\"Node Type\" is not a string",
        ),
        (
            r#"[{"Plan": {"Node Type": "Result", "Startup Cost": 0, "Plan Rows": 1}}]"#,
            "without \"Total Cost\"",
        ),
        (
            r#"[{"Plan": {"Node Type": "Result", "Startup Cost": 0, "Total Cost": "x", "Plan Rows": 1}}]"#,
            "\"Total Cost\" is not a number",
        ),
        (
            r#"[{"Plan": {"Node Type": "Result", "Startup Cost": 0, "Total Cost": 1, "Plan Rows": 1, "Plans": {}}}]"#,
            "not an array",
        ),
        (
            r#"[{"Plan": {"Node Type": "Result", "Startup Cost": 0, "Total Cost": 1, "Plan Rows": 1, "Plans": [7]}}]"#,
            "not an object",
        ),
        (
            r#"[{"Plan": {"Node Type": "Result", "Startup Cost": 0, "Total Cost": 1, "Plan Rows": 1}, "Query Identifier": "x"}]"#,
            "not an integer",
        ),
    ] {
        let detail = malformed_detail(json);
        assert!(detail.contains(expected), "{json}: {detail}");
    }
}

#[test]
fn deeply_nested_input_is_an_error_not_a_stack_overflow() {
    let json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    malformed_detail(&json);
}

impl Plan {
    fn actual_free(&self) -> bool {
        self.root.walk().all(|node| node.actual.is_none())
    }
}
