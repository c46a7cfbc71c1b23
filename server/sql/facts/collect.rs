//! The walk that fills [`QueryFacts`].

use sqlparser::ast::{BinaryOperator, Expr, InTarget, JoinConstraint, Statement, TableWithJoins};

use super::expr::{
    ColumnName, column_name, contains_column, for_each_boolean_leaf, string_literal,
};
use super::walk::{
    Block, Clause, QueryPosition, Relation, Scopes, Visitor, fold, folds_to, join_constraint,
    walk_statement,
};
use super::{ColumnRole, ColumnUse, QueryFacts, TableRef};

pub(super) fn collect(statement: &Statement) -> QueryFacts {
    let mut collector = Collector::default();
    walk_statement(statement, &mut collector);
    collector.finish()
}

/// The visitor behind [`super::extract`], for a caller that walks the
/// statement anyway and wants the facts from the same walk (pair it with
/// its own visitor: `walk_statement(ast, &mut (collector, mine))`).
#[derive(Default)]
pub struct Collector<'a> {
    facts: QueryFacts,
    /// Conditions still to look at, kept between clauses for its buffer.
    pending: Vec<&'a Expr>,
}

impl<'a> Visitor<'a> for Collector<'a> {
    fn block(&mut self, block: Block<'a>, _position: QueryPosition, scopes: &Scopes) {
        for relation in scopes.current() {
            if let Some(table) = relation.table() {
                self.add_table(table);
            }
        }
        if let Block::Select(select) = block {
            self.using_columns(&select.from, scopes);
        }
    }

    fn clause(&mut self, root: &'a Expr, clause: Clause, scopes: &Scopes) {
        match clause {
            Clause::Where | Clause::JoinOn => self.predicate(root, scopes),
            Clause::OrderBy => self.sort_key(root, ColumnRole::OrderBy, scopes),
            Clause::GroupBy => self.sort_key(root, ColumnRole::GroupBy, scopes),
            _ => {}
        }
    }
}

impl<'a> Collector<'a> {
    /// The facts of the walk so far (all of them once the walk is over).
    pub fn finish(self) -> QueryFacts {
        self.facts
    }

    fn add_table(&mut self, table: &TableRef) {
        if !self.facts.tables.contains(table) {
            self.facts.tables.push(table.clone());
        }
    }

    fn add_column(&mut self, column: ColumnName<'_>, role: ColumnRole, scopes: &Scopes) {
        let table = resolve(column, scopes).and_then(Relation::table);
        // Most uses repeat one already recorded or are new; only new ones
        // need their names as strings.
        let known = self.facts.columns.iter().any(|usage| {
            usage.role == role
                && folds_to(column.column, &usage.column)
                && is_qualified_name_of(usage.table.as_deref(), table)
        });
        if !known {
            self.facts.columns.push(ColumnUse {
                table: table.map(TableRef::qualified_name),
                column: fold(column.column),
                role,
            });
        }
    }

    fn push_column(&mut self, usage: ColumnUse) {
        if !self.facts.columns.contains(&usage) {
            self.facts.columns.push(usage);
        }
    }

    /// Conditions combined with AND or OR: each may be served by an index
    /// (OR through a bitmap OR), so every leaf counts. NOT hides them.
    fn predicate(&mut self, root: &'a Expr, scopes: &Scopes) {
        let mut pending = std::mem::take(&mut self.pending);
        for_each_boolean_leaf(root, &mut pending, |leaf| self.condition(leaf, scopes));
        self.pending = pending;
    }

    fn condition(&mut self, condition: &Expr, scopes: &Scopes) {
        match condition {
            Expr::BinaryOp { left, op, right } => self.comparison(left, op, right, scopes),
            Expr::IsNull(operand)
            | Expr::In {
                expr: operand,
                negated: false,
                target: InTarget::List(_) | InTarget::Subquery(_),
                ..
            }
            | Expr::AnyOp {
                left: operand,
                compare_op: BinaryOperator::Eq,
                ..
            } => self.operand(operand, ColumnRole::Equality, scopes),
            Expr::Between {
                expr: operand,
                negated: false,
                ..
            } => self.operand(operand, ColumnRole::Range, scopes),
            // Only a pattern with a fixed prefix is a range scan on a b-tree.
            Expr::Like {
                expr: operand,
                pattern,
                negated: false,
                any: false,
                ..
            } if string_literal(pattern).is_some_and(has_fixed_prefix) => {
                self.operand(operand, ColumnRole::Range, scopes)
            }
            _ => {}
        }
    }

    fn comparison(&mut self, left: &Expr, op: &BinaryOperator, right: &Expr, scopes: &Scopes) {
        let role = match op {
            BinaryOperator::Eq => ColumnRole::Equality,
            BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq => ColumnRole::Range,
            _ => return,
        };
        match (column_name(left), column_name(right)) {
            (Some(left), Some(right)) => {
                let (left_relation, right_relation) =
                    (resolve(left, scopes), resolve(right, scopes));
                // `t.a = t.b` compares two columns of one row: no index helps.
                if let (Some(l), Some(r)) = (left_relation, right_relation)
                    && std::ptr::eq(l, r)
                {
                    return;
                }
                let role = if role == ColumnRole::Equality {
                    ColumnRole::Join
                } else {
                    role
                };
                self.add_column(left, role, scopes);
                self.add_column(right, role, scopes);
            }
            (Some(column), None) => self.column_against(column, right, role, scopes),
            (None, Some(column)) => self.column_against(column, left, role, scopes),
            (None, None) => {}
        }
    }

    /// A column compared with an expression: against a constant it is a
    /// filter; against another table's column (`a.x = b.y + 1`) a join.
    fn column_against(
        &mut self,
        column: ColumnName<'_>,
        other: &Expr,
        role: ColumnRole,
        scopes: &Scopes,
    ) {
        let role = if role == ColumnRole::Equality && contains_column(other) {
            ColumnRole::Join
        } else {
            role
        };
        self.add_column(column, role, scopes);
    }

    fn operand(&mut self, operand: &Expr, role: ColumnRole, scopes: &Scopes) {
        if let Some(column) = column_name(operand) {
            self.add_column(column, role, scopes);
        }
    }

    /// An ORDER BY / GROUP BY item that is a bare column; output aliases
    /// (`SELECT x AS y … ORDER BY y`) are not table columns.
    fn sort_key(&mut self, item: &Expr, role: ColumnRole, scopes: &Scopes) {
        let Some(column) = column_name(item) else {
            return;
        };
        if column.qualifier.is_empty()
            && scopes
                .output_aliases()
                .iter()
                .any(|alias| folds_to(column.column, alias))
        {
            return;
        }
        self.add_column(column, role, scopes);
    }

    /// `a JOIN b USING (id)` joins `a.id` and `b.id` (the relation just
    /// before the join and the joined one).
    fn using_columns(&mut self, from: &[TableWithJoins], scopes: &Scopes) {
        for (position, item) in from.iter().enumerate() {
            let has_using = item.joins.iter().any(|join| {
                matches!(
                    join_constraint(&join.join_operator),
                    Some(JoinConstraint::Using(_))
                )
            });
            if !has_using {
                continue;
            }
            let relations: Vec<&Relation> = scopes
                .current()
                .iter()
                .filter(|relation| relation.from_item == position)
                .collect();
            // Parenthesized joins add relations; then the pairing is unclear.
            if relations.len() != item.joins.len() + 1 {
                continue;
            }
            for (index, join) in item.joins.iter().enumerate() {
                let Some(JoinConstraint::Using(columns)) = join_constraint(&join.join_operator)
                else {
                    continue;
                };
                let names = columns
                    .iter()
                    .filter_map(|column| column.0.last().and_then(|part| part.as_ident()));
                for name in names {
                    for relation in [relations[index], relations[index + 1]] {
                        if let Some(table) = relation.table() {
                            self.push_column(ColumnUse {
                                table: Some(table.qualified_name()),
                                column: fold(name),
                                role: ColumnRole::Join,
                            });
                        }
                    }
                }
            }
        }
    }
}

/// The relation a column belongs to: by its qualifier, or the only relation
/// of the innermost FROM when it has exactly one.
fn resolve<'s>(column: ColumnName<'_>, scopes: &'s Scopes) -> Option<&'s Relation> {
    if column.qualifier.is_empty() {
        match scopes.current() {
            [only] => Some(only),
            _ => None,
        }
    } else {
        scopes.resolve_idents(column.qualifier)
    }
}

/// Whether `qualified` is `table.map(TableRef::qualified_name)`, without
/// building that string.
fn is_qualified_name_of(qualified: Option<&str>, table: Option<&TableRef>) -> bool {
    match (qualified, table) {
        (None, None) => true,
        (Some(qualified), Some(table)) => match &table.schema {
            Some(schema) => qualified
                .strip_prefix(schema.as_str())
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|name| name == table.name),
            None => qualified == table.name,
        },
        _ => false,
    }
}

/// `'abc%'`: starts with a fixed prefix that a b-tree range scan can use.
fn has_fixed_prefix(pattern: &str) -> bool {
    pattern
        .chars()
        .next()
        .is_some_and(|first| first != '%' && first != '_')
}
