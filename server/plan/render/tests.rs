use super::*;
use crate::plan::parse::parse_plan;

fn fixture(name: &str) -> Plan {
    let path = format!("{}/server/plan/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    parse_plan(&std::fs::read_to_string(path).expect("fixture")).expect("plan")
}

fn marked_lines(markdown: &str) -> Vec<&str> {
    markdown
        .lines()
        .filter(|line| line.contains("most expensive**"))
        .collect()
}

#[test]
fn tree_shows_costs_rows_conditions_and_marks_the_most_expensive_node() {
    let markdown = render_plan(&fixture("hash_join.json"));
    assert!(
        markdown.starts_with("Estimated cost **3796.70** (first row after 3780.38), 100 rows."),
        "{markdown}"
    );
    assert!(
        markdown.contains("Most expensive step: **Parallel Seq Scan** on `orders` `o` (self cost 2744.59, 72 % of the plan)."),
        "{markdown}"
    );
    assert!(
        markdown.contains("\n- **GroupAggregate** · cost 3780.38..3796.70 · rows 100\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("\n        - **Hash Join** · cost 19.75..2770.74 · rows 243\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("\n          - Hash Cond: `(o.customer_id = c.id)`\n"),
        "{markdown}"
    );
    assert_eq!(
        marked_lines(&markdown),
        [
            "          - **Parallel Seq Scan** on `orders` `o` · cost 0.00..2744.59 · rows 2,431 · **⟵ most expensive**"
        ]
    );
}

#[test]
fn analyzed_plan_marks_by_measured_self_time() {
    let markdown = render_plan(&fixture("analyzed_limit_sort.json"));
    assert!(
        markdown.contains("Executed in **58.9 ms**, planned in 0.93 ms."),
        "{markdown}"
    );
    assert!(
        markdown.contains("· actual 34.5 ms, rows 10 (× 2 loops)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- Rows removed by filter: 98,000"),
        "{markdown}"
    );
    let marked = marked_lines(&markdown);
    assert_eq!(marked.len(), 1, "{markdown}");
    assert!(
        marked[0].contains("**Parallel Seq Scan** on `orders` `o`"),
        "{markdown}"
    );
    assert!(
        markdown.contains("(self time 61.4 ms, 89 % of the plan)"),
        "{markdown}"
    );
}

#[test]
fn titles_follow_postgres_text_format() {
    let update = render_plan(&fixture("update.json"));
    assert!(update.contains("- **Update** on `orders`"), "{update}");
    let bitmap = render_plan(&fixture("hypothetical_index.json"));
    assert!(
        bitmap.contains("**Bitmap Index Scan** using `<13556>btree_orders_customer_id`"),
        "{bitmap}"
    );

    let mut join = PlanNode::new("Hash Join", 0.0, 1.0, 1.0);
    join.join_type = Some("Left".into());
    assert_eq!(node_name(&join), "Hash Left Join");
    join.node_type = "Nested Loop".into();
    join.join_type = Some("Anti".into());
    assert_eq!(node_name(&join), "Nested Loop Anti Join");
}

#[test]
fn comparison_summarizes_the_change_and_shows_both_trees() {
    let before = fixture("seq_scan_filter_verbose.json");
    let after = fixture("index_scan.json");
    let markdown = render_comparison(&before, &after);
    assert!(
        markdown.starts_with(
            "| | before | after | change |\n|---|---:|---:|---:|\n\
             | estimated cost | 2187.37 | 8.44 | −99.6 % |\n\
             | most expensive step | Seq Scan on public.big | Index Scan using orders\\_pkey on orders | |\n"
        ),
        "{markdown}"
    );
    let before_at = markdown.find("#### Before").unwrap();
    let after_at = markdown.find("#### After").unwrap();
    assert!(before_at < after_at);
    assert!(markdown[before_at..after_at].contains("**Seq Scan** on `public.big`"));
    assert!(markdown[after_at..].contains("**Index Scan** using `orders_pkey` on `orders`"));
}

#[test]
fn comparison_of_analyzed_plans_adds_execution_time() {
    let plan = fixture("analyzed_limit_sort.json");
    let markdown = render_comparison(&plan, &plan);
    assert!(
        markdown.contains("| execution time | 58.9 ms | 58.9 ms | ±0 % |"),
        "{markdown}"
    );
}

#[test]
fn odd_text_stays_inside_its_code_span() {
    assert_eq!(code("a = 'x'"), "`a = 'x'`");
    assert_eq!(code("a ` b"), "``a ` b``");
    assert_eq!(code("`x`"), "`` `x` ``");
    assert_eq!(escape("a*b_c|d"), "a\\*b\\_c\\|d");
}

#[test]
fn a_plan_without_cost_marks_nothing() {
    let plan = Plan {
        root: PlanNode::new("Result", 0.0, 0.0, 1.0),
        query_identifier: None,
        planning_ms: None,
        execution_ms: None,
    };
    let markdown = render_plan(&plan);
    assert!(marked_lines(&markdown).is_empty(), "{markdown}");
    assert!(markdown.contains("1 row."), "{markdown}");
}
