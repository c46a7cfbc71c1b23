//! One traversal of sqlparser's AST, shared by the facts extractor and the
//! static rules, so that each of them only says what it looks for.
//!
//! The walker keeps track of scopes: which relations each SELECT (or UPDATE,
//! DELETE, …) reads, under which names, and which names are CTEs, so a
//! column qualifier can be resolved to its table.
//!
//! It never recurses along chains sqlparser builds without recursion (long
//! `AND` / `+` chains, `UNION` chains): those are walked with an explicit
//! stack, because their depth is bounded only by the statement's length and
//! analysis runs on threads with small stacks. Subqueries are walked
//! recursively; sqlparser's recursion limit bounds their nesting.

use sqlparser::ast::{
    Assignment, Delete, Expr, FromTable, FunctionArg, GroupByExpr, Ident, Insert, JoinConstraint,
    LimitClause, Merge, MergeAction, MergeInsertKind, MergeUpdateKind, ObjectName, ObjectNamePart,
    OnConflictAction, OnInsert, OrderByExpr, OrderByKind, Query, Select, SelectItem, SetExpr,
    Statement, Table, TableAlias, TableFactor, TableObject, TableWithJoins, Update,
    UpdateTableFromKind,
};
use sqlparser::tokenizer::Span;

use super::TableRef;

mod children;

pub use children::{any_node, function_args, join_constraint};
use children::{function_arg_expr, push_children};

/// Where a query sits in its statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryPosition {
    /// The statement's own query, including each branch of a top-level
    /// `UNION` and a top-level UPDATE/DELETE/INSERT/MERGE.
    Top,
    /// The body of a `WITH` query.
    Cte,
    /// A subquery in `FROM` (a derived table).
    Derived,
    /// `EXISTS (…)`.
    Exists,
    /// `x IN (…)` / `x NOT IN (…)`.
    InSubquery,
    /// A scalar subquery, `ANY (…)`, `ARRAY(…)`, a function's subquery argument.
    Scalar,
    /// The rows an `INSERT … SELECT` inserts.
    InsertSource,
}

/// The clause an expression belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clause {
    Projection,
    Where,
    /// One `JOIN … ON` condition (also MERGE's `ON`).
    JoinOn,
    GroupBy,
    Having,
    /// One item of a query's `ORDER BY`.
    OrderBy,
    Limit,
    Offset,
    /// Anything else: VALUES rows, SET values, RETURNING, function arguments in FROM, …
    Other,
}

/// What a name in `FROM` stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelationKind {
    /// A table or view of the database.
    Table(TableRef),
    /// A `WITH` query of the statement.
    Cte,
    /// A subquery in `FROM`.
    Derived,
    /// A set-returning function, `UNNEST`, `JSON_TABLE`, …
    Function,
}

/// One relation a SELECT/UPDATE/DELETE reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub kind: RelationKind,
    /// The name columns are qualified with: the alias, else the table's (or
    /// function's) name. Folded like identifiers.
    pub binding: Option<String>,
    /// Which comma-separated `FROM` item it belongs to (0-based). For UPDATE
    /// the target is item 0 and its `FROM` items follow; for DELETE, the
    /// target then the `USING` items.
    pub from_item: usize,
    /// Where the table name (and alias) is written; empty for other kinds.
    pub span: Span,
}

impl Relation {
    pub fn table(&self) -> Option<&TableRef> {
        match &self.kind {
            RelationKind::Table(table) => Some(table),
            _ => None,
        }
    }
}

/// The names visible at one level: a query's CTEs, or a SELECT's relations.
#[derive(Debug, Default)]
struct Frame {
    ctes: Vec<String>,
    relations: Vec<Relation>,
    /// The SELECT's output column aliases (`SELECT x AS y` → `y`).
    output_aliases: Vec<String>,
}

impl Frame {
    fn clear(&mut self) {
        self.ctes.clear();
        self.relations.clear();
        self.output_aliases.clear();
    }
}

/// The scopes around the node being visited, innermost last.
#[derive(Debug, Default)]
pub struct Scopes {
    frames: Vec<Frame>,
    /// Frames left by earlier levels, empty but with their buffers: a walk
    /// opens a frame per query and per SELECT, and reusing them saves
    /// allocating three vectors each time.
    spare: Vec<Frame>,
}

impl Scopes {
    /// The relations of the innermost SELECT (or UPDATE, DELETE, …).
    pub fn current(&self) -> &[Relation] {
        self.frames.last().map_or(&[], |frame| &frame.relations)
    }

    /// The output aliases of the innermost SELECT.
    pub fn output_aliases(&self) -> &[String] {
        self.frames
            .last()
            .map_or(&[], |frame| &frame.output_aliases)
    }

    pub fn is_cte(&self, name: &str) -> bool {
        self.frames
            .iter()
            .any(|frame| frame.ctes.iter().any(|cte| cte == name))
    }

    /// Whether an identifier, once folded, names a CTE in scope.
    fn is_cte_ident(&self, name: &Ident) -> bool {
        self.frames
            .iter()
            .any(|frame| frame.ctes.iter().any(|cte| folds_to(name, cte)))
    }

    /// The relation of the innermost SELECT (or UPDATE, …) that a column
    /// qualifier names; `None` for outer or unknown names.
    pub fn resolve_current(&self, qualifier: &[String]) -> Option<&Relation> {
        self.current()
            .iter()
            .find(|relation| qualifies(relation, qualifier, |a, b| a == b))
    }

    /// The relation a column qualifier (`t`, or `schema.t`) names, looking
    /// outwards from the innermost scope as PostgreSQL does.
    pub fn resolve(&self, qualifier: &[String]) -> Option<&Relation> {
        self.frames.iter().rev().find_map(|frame| {
            frame
                .relations
                .iter()
                .find(|relation| qualifies(relation, qualifier, |a, b| a == b))
        })
    }

    /// [`Scopes::resolve`] for a qualifier as written (unfolded): the same
    /// answer without folding the names into new strings.
    pub fn resolve_idents(&self, qualifier: &[Ident]) -> Option<&Relation> {
        self.frames.iter().rev().find_map(|frame| {
            frame
                .relations
                .iter()
                .find(|relation| qualifies(relation, qualifier, folds_to))
        })
    }

    /// [`Scopes::resolve_current`] for a qualifier as written (unfolded).
    pub fn resolve_current_idents(&self, qualifier: &[Ident]) -> Option<&Relation> {
        self.current()
            .iter()
            .find(|relation| qualifies(relation, qualifier, folds_to))
    }

    /// An empty frame, with the buffers of an earlier one when there is one.
    fn take_frame(&mut self) -> Frame {
        self.spare.pop().unwrap_or_default()
    }

    fn push_frame(&mut self, frame: Frame) {
        self.frames.push(frame);
    }

    fn pop_frame(&mut self) {
        if let Some(mut frame) = self.frames.pop() {
            frame.clear();
            self.spare.push(frame);
        }
    }
}

/// Whether `qualifier` names `relation`: its binding, or for an unaliased
/// table, `schema.table`. `matches(part, folded)` says whether one part of
/// the qualifier is the folded name.
fn qualifies<Q>(relation: &Relation, qualifier: &[Q], matches: impl Fn(&Q, &str) -> bool) -> bool {
    match qualifier {
        [name] => relation
            .binding
            .as_deref()
            .is_some_and(|binding| matches(name, binding)),
        [schema, name] => relation.table().is_some_and(|table| {
            table.alias.is_none()
                && table
                    .schema
                    .as_deref()
                    .is_some_and(|folded| matches(schema, folded))
                && matches(name, &table.name)
        }),
        _ => false,
    }
}

/// A statement that reads or writes rows through a list of relations; the
/// walker reports each one with its relations in the innermost scope.
#[derive(Debug, Clone, Copy)]
pub enum Block<'a> {
    Select(&'a Select),
    Update(&'a Update),
    Delete(&'a Delete),
    Insert(&'a Insert),
    Merge(&'a Merge),
    /// `TABLE name`.
    Table(&'a Table),
}

impl<'a> Block<'a> {
    /// The block's `WHERE` condition.
    pub fn filter(&self) -> Option<&'a Expr> {
        match self {
            Block::Select(select) => select.selection.as_ref(),
            Block::Update(update) => update.selection.as_ref(),
            Block::Delete(delete) => delete.selection.as_ref(),
            Block::Insert(_) | Block::Merge(_) | Block::Table(_) => None,
        }
    }
}

/// What a walk reports. Every method has an empty default.
pub trait Visitor<'a> {
    /// A query (SELECT, VALUES, set operation, …), before its parts.
    fn query(&mut self, _query: &'a Query, _position: QueryPosition, _scopes: &Scopes) {}

    /// A SELECT/UPDATE/DELETE/INSERT/MERGE, with its relations as the
    /// innermost scope, before its expressions.
    fn block(&mut self, _block: Block<'a>, _position: QueryPosition, _scopes: &Scopes) {}

    /// The root expression of a clause: a WHERE, one `JOIN … ON`, one
    /// ORDER BY or GROUP BY item, an OFFSET, …
    fn clause(&mut self, _root: &'a Expr, _clause: Clause, _scopes: &Scopes) {}

    /// Every expression node, parents before children. Subqueries inside it
    /// are walked as queries (with their own clauses).
    fn expr(&mut self, _expr: &'a Expr, _clause: Clause, _scopes: &Scopes) {}
}

/// Two visitors fed by one walk, `.0` first: one traversal (and one set of
/// scopes) serves, for example, the facts extractor and the static rules.
impl<'a, A: Visitor<'a>, B: Visitor<'a>> Visitor<'a> for (A, B) {
    fn query(&mut self, query: &'a Query, position: QueryPosition, scopes: &Scopes) {
        self.0.query(query, position, scopes);
        self.1.query(query, position, scopes);
    }

    fn block(&mut self, block: Block<'a>, position: QueryPosition, scopes: &Scopes) {
        self.0.block(block, position, scopes);
        self.1.block(block, position, scopes);
    }

    fn clause(&mut self, root: &'a Expr, clause: Clause, scopes: &Scopes) {
        self.0.clause(root, clause, scopes);
        self.1.clause(root, clause, scopes);
    }

    fn expr(&mut self, expr: &'a Expr, clause: Clause, scopes: &Scopes) {
        self.0.expr(expr, clause, scopes);
        self.1.expr(expr, clause, scopes);
    }
}

/// Walks a statement; statements other than queries and DML are ignored.
pub fn walk_statement<'a>(statement: &'a Statement, visitor: &mut impl Visitor<'a>) {
    let mut walker = Walker {
        visitor,
        scopes: Scopes::default(),
        pending: Vec::new(),
    };
    walker.statement(statement, QueryPosition::Top);
}

/// Folds an identifier the way PostgreSQL does: unquoted names are lower-cased
/// (ASCII letters only, like the server), quoted ones are kept as written.
pub fn fold(ident: &Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_ascii_lowercase()
    }
}

/// Whether `fold(ident) == folded`, without building the folded string.
/// (Not `eq_ignore_ascii_case`: a folded name may hold capitals that came
/// from a quoted identifier, and an unquoted `foo` does not name `"Foo"`.)
pub fn folds_to(ident: &Ident, folded: &str) -> bool {
    if ident.quote_style.is_some() {
        ident.value == folded
    } else {
        ident.value.len() == folded.len()
            && ident
                .value
                .bytes()
                .zip(folded.bytes())
                .all(|(written, folded)| written.to_ascii_lowercase() == folded)
    }
}

/// `schema.table` (or `catalog.schema.table`) as a table reference; `None`
/// for names that are not plain identifiers.
pub fn table_ref(name: &ObjectName, alias: Option<&Ident>) -> Option<TableRef> {
    let (last, qualifiers) = name.0.split_last()?;
    if !qualifiers.iter().all(|part| part.as_ident().is_some()) {
        return None;
    }
    let schema = match qualifiers.last() {
        Some(schema) => Some(fold(schema.as_ident()?)),
        None => None,
    };
    Some(TableRef {
        schema,
        name: fold(last.as_ident()?),
        alias: alias.map(fold),
    })
}

/// Where a name (and its alias) is written.
fn name_span(name: &ObjectName, alias: Option<&Ident>) -> Span {
    let spans = name
        .0
        .iter()
        .filter_map(ObjectNamePart::as_ident)
        .chain(alias)
        .map(|ident| ident.span)
        .filter(|span| *span != Span::empty());
    Span::union_iter(spans)
}

/// The last identifier of a name (a function's or table's own name).
fn last_name(name: &ObjectName) -> Option<String> {
    name.0.last().and_then(ObjectNamePart::as_ident).map(fold)
}

/// An expression or a query still to be walked.
enum Node<'a> {
    Expr(&'a Expr),
    Query(&'a Query, QueryPosition),
}

struct Walker<'a, 'v, V> {
    visitor: &'v mut V,
    scopes: Scopes,
    /// The expression nodes still to visit, shared by every clause (each
    /// uses the part above where it started), so that a clause costs no
    /// allocation.
    pending: Vec<Node<'a>>,
}

impl<'a, V: Visitor<'a>> Walker<'a, '_, V> {
    fn statement(&mut self, statement: &'a Statement, position: QueryPosition) {
        match statement {
            Statement::Query(query) => self.query(query, position),
            Statement::Insert(insert) => self.insert(insert, position),
            Statement::Update(update) => self.update(update, position),
            Statement::Delete(delete) => self.delete(delete, position),
            Statement::Merge(merge) => self.merge(merge, position),
            _ => {}
        }
    }

    fn query(&mut self, query: &'a Query, position: QueryPosition) {
        self.visitor.query(query, position, &self.scopes);
        let ctes = query.with.iter().flat_map(|with| &with.cte_tables);
        // All CTE names are visible in every CTE body: right for RECURSIVE,
        // and harmless otherwise (a forward reference is an error anyway).
        let mut frame = self.scopes.take_frame();
        frame
            .ctes
            .extend(ctes.clone().map(|cte| fold(&cte.alias.name)));
        self.scopes.push_frame(frame);
        for cte in ctes {
            self.query(&cte.query, QueryPosition::Cte);
        }
        let order_by = match &query.order_by {
            Some(order_by) => match &order_by.kind {
                OrderByKind::Expressions(items) => items.as_slice(),
                OrderByKind::All(_) => &[],
            },
            None => &[],
        };
        match query.body.as_ref() {
            // ORDER BY may name the SELECT's columns, so it is walked in its scope.
            SetExpr::Select(select) => self.select(select, position, order_by),
            body => {
                self.set_expr(body, position);
                self.order_by(order_by);
            }
        }
        self.limits(query);
        self.scopes.pop_frame();
    }

    fn limits(&mut self, query: &'a Query) {
        match &query.limit_clause {
            Some(LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) => {
                if let Some(limit) = limit {
                    self.expr(limit, Clause::Limit);
                }
                if let Some(offset) = offset {
                    self.expr(&offset.value, Clause::Offset);
                }
                self.exprs(limit_by, Clause::Other);
            }
            Some(LimitClause::OffsetCommaLimit { offset, limit }) => {
                self.expr(offset, Clause::Offset);
                self.expr(limit, Clause::Limit);
            }
            None => {}
        }
        if let Some(quantity) = query.fetch.as_ref().and_then(|f| f.quantity.as_ref()) {
            self.expr(quantity, Clause::Limit);
        }
    }

    /// A query body; `UNION` chains are walked with a stack, left to right.
    fn set_expr(&mut self, body: &'a SetExpr, position: QueryPosition) {
        let mut pending = vec![body];
        while let Some(set_expr) = pending.pop() {
            match set_expr {
                SetExpr::SetOperation { left, right, .. } => {
                    pending.push(right);
                    pending.push(left);
                }
                SetExpr::Select(select) => self.select(select, position, &[]),
                SetExpr::Query(query) => self.query(query, position),
                SetExpr::Values(values) => {
                    for row in &values.rows {
                        self.exprs(&row.content, Clause::Other);
                    }
                }
                SetExpr::Insert(statement)
                | SetExpr::Update(statement)
                | SetExpr::Delete(statement)
                | SetExpr::Merge(statement) => self.statement(statement, position),
                SetExpr::Table(table) => self.table_command(table, position),
            }
        }
    }

    fn select(&mut self, select: &'a Select, position: QueryPosition, order_by: &'a [OrderByExpr]) {
        let mut frame = self.scopes.take_frame();
        for (index, from) in select.from.iter().enumerate() {
            self.item_relations(from, index, &mut frame.relations);
        }
        frame
            .output_aliases
            .extend(select.projection.iter().filter_map(|item| match item {
                SelectItem::ExprWithAlias { alias, .. } => Some(fold(alias)),
                _ => None,
            }));
        self.scopes.push_frame(frame);
        self.visitor
            .block(Block::Select(select), position, &self.scopes);
        self.join_conditions(&select.from);
        for item in &select.projection {
            match item {
                SelectItem::UnnamedExpr(expr)
                | SelectItem::ExprWithAlias { expr, .. }
                | SelectItem::ExprWithAliases { expr, .. } => self.expr(expr, Clause::Projection),
                SelectItem::QualifiedWildcard(..) | SelectItem::Wildcard(_) => {}
            }
        }
        if let Some(selection) = &select.selection {
            self.expr(selection, Clause::Where);
        }
        if let GroupByExpr::Expressions(items, _) = &select.group_by {
            self.exprs(items, Clause::GroupBy);
        }
        if let Some(having) = &select.having {
            self.expr(having, Clause::Having);
        }
        self.order_by(order_by);
        self.scopes.pop_frame();
    }

    fn order_by(&mut self, items: &'a [OrderByExpr]) {
        for item in items {
            self.expr(&item.expr, Clause::OrderBy);
        }
    }

    fn table_command(&mut self, table: &'a Table, position: QueryPosition) {
        let mut frame = self.scopes.take_frame();
        frame.relations.extend(table.table_name.iter().map(|name| {
            let name = ObjectName::from(
                table
                    .schema_name
                    .iter()
                    .chain([name])
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            self.relation_for_name(&name, None, 0)
        }));
        self.scopes.push_frame(frame);
        self.visitor
            .block(Block::Table(table), position, &self.scopes);
        self.scopes.pop_frame();
    }

    fn update(&mut self, update: &'a Update, position: QueryPosition) {
        let mut frame = self.scopes.take_frame();
        self.item_relations(&update.table, 0, &mut frame.relations);
        let from = match &update.from {
            Some(UpdateTableFromKind::BeforeSet(items) | UpdateTableFromKind::AfterSet(items)) => {
                items.as_slice()
            }
            None => &[],
        };
        for (index, item) in from.iter().enumerate() {
            self.item_relations(item, index + 1, &mut frame.relations);
        }
        self.scopes.push_frame(frame);
        self.visitor
            .block(Block::Update(update), position, &self.scopes);
        self.join_conditions(std::slice::from_ref(&update.table));
        self.join_conditions(from);
        self.assignments(&update.assignments);
        if let Some(selection) = &update.selection {
            self.expr(selection, Clause::Where);
        }
        self.returning(update.returning.as_deref());
        self.scopes.pop_frame();
    }

    fn delete(&mut self, delete: &'a Delete, position: QueryPosition) {
        let targets = match &delete.from {
            FromTable::WithFromKeyword(items) | FromTable::WithoutKeyword(items) => items,
        };
        let using = delete.using.as_deref().unwrap_or_default();
        let mut frame = self.scopes.take_frame();
        for (index, item) in targets.iter().chain(using).enumerate() {
            self.item_relations(item, index, &mut frame.relations);
        }
        self.scopes.push_frame(frame);
        self.visitor
            .block(Block::Delete(delete), position, &self.scopes);
        self.join_conditions(targets);
        self.join_conditions(using);
        if let Some(selection) = &delete.selection {
            self.expr(selection, Clause::Where);
        }
        self.returning(delete.returning.as_deref());
        self.scopes.pop_frame();
    }

    fn insert(&mut self, insert: &'a Insert, position: QueryPosition) {
        // The inserted rows cannot see the target table: walk them first.
        if let Some(source) = &insert.source {
            self.query(source, QueryPosition::InsertSource);
        }
        let mut frame = self.scopes.take_frame();
        if let TableObject::TableName(name) = &insert.table {
            let alias = insert.table_alias.as_ref().map(|alias| &alias.alias);
            frame.relations.push(self.relation_for_name(name, alias, 0));
        }
        self.scopes.push_frame(frame);
        self.visitor
            .block(Block::Insert(insert), position, &self.scopes);
        self.assignments(&insert.assignments);
        if let Some(OnInsert::OnConflict(conflict)) = &insert.on
            && let OnConflictAction::DoUpdate(update) = &conflict.action
        {
            self.assignments(&update.assignments);
            if let Some(selection) = &update.selection {
                self.expr(selection, Clause::Other);
            }
        }
        self.returning(insert.returning.as_deref());
        self.scopes.pop_frame();
    }

    fn merge(&mut self, merge: &'a Merge, position: QueryPosition) {
        let mut frame = self.scopes.take_frame();
        self.table_factor(&merge.table, 0, &mut frame.relations);
        self.table_factor(&merge.source, 1, &mut frame.relations);
        self.scopes.push_frame(frame);
        self.visitor
            .block(Block::Merge(merge), position, &self.scopes);
        self.expr(&merge.on, Clause::JoinOn);
        for clause in &merge.clauses {
            if let Some(predicate) = &clause.predicate {
                self.expr(predicate, Clause::Other);
            }
            match &clause.action {
                MergeAction::Update(update) => {
                    if let MergeUpdateKind::Set(assignments) = &update.kind {
                        self.assignments(assignments);
                    }
                }
                MergeAction::Insert(insert) => {
                    if let MergeInsertKind::Values(values) = &insert.kind {
                        for row in &values.rows {
                            self.exprs(&row.content, Clause::Other);
                        }
                    }
                }
                _ => {}
            }
        }
        self.scopes.pop_frame();
    }

    fn assignments(&mut self, assignments: &'a [Assignment]) {
        for assignment in assignments {
            self.expr(&assignment.value, Clause::Other);
        }
    }

    fn returning(&mut self, items: Option<&'a [SelectItem]>) {
        for item in items.unwrap_or_default() {
            if let SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } = item {
                self.expr(expr, Clause::Other);
            }
        }
    }

    /// Collects the relations of one comma-separated FROM item, walking its
    /// subqueries and function arguments on the way (in the enclosing scope).
    fn item_relations(&mut self, from: &'a TableWithJoins, index: usize, out: &mut Vec<Relation>) {
        self.table_factor(&from.relation, index, out);
        for join in &from.joins {
            self.table_factor(&join.relation, index, out);
        }
    }

    fn table_factor(&mut self, factor: &'a TableFactor, index: usize, out: &mut Vec<Relation>) {
        let other = |kind: RelationKind, binding: Option<String>| Relation {
            kind,
            binding,
            from_item: index,
            span: Span::empty(),
        };
        let alias_of = |alias: &Option<TableAlias>| alias.as_ref().map(|alias| fold(&alias.name));
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => match args {
                // `FROM f(1)` can arrive as a table with arguments.
                Some(args) => {
                    for arg in &args.args {
                        self.function_arg(arg, Clause::Other);
                    }
                    out.push(other(
                        RelationKind::Function,
                        alias_of(alias).or_else(|| last_name(name)),
                    ));
                }
                None => out.push(self.relation_for_name(
                    name,
                    alias.as_ref().map(|alias| &alias.name),
                    index,
                )),
            },
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                self.query(subquery, QueryPosition::Derived);
                out.push(other(RelationKind::Derived, alias_of(alias)));
            }
            TableFactor::Function {
                name, args, alias, ..
            } => {
                for arg in args {
                    self.function_arg(arg, Clause::Other);
                }
                out.push(other(
                    RelationKind::Function,
                    alias_of(alias).or_else(|| last_name(name)),
                ));
            }
            TableFactor::TableFunction { expr, alias } => {
                self.expr(expr, Clause::Other);
                out.push(other(RelationKind::Function, alias_of(alias)));
            }
            TableFactor::UNNEST {
                alias, array_exprs, ..
            } => {
                self.exprs(array_exprs, Clause::Other);
                out.push(other(RelationKind::Function, alias_of(alias)));
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => self.item_relations(table_with_joins, index, out),
            // Dialect-specific relations (JSON_TABLE, PIVOT, …): opaque.
            _ => out.push(other(RelationKind::Function, None)),
        }
    }

    fn relation_for_name(
        &self,
        name: &ObjectName,
        alias: Option<&Ident>,
        index: usize,
    ) -> Relation {
        let table = table_ref(name, alias);
        let binding = match (alias, &table) {
            (Some(alias), _) => Some(fold(alias)),
            (None, Some(table)) => Some(table.name.clone()),
            (None, None) => last_name(name),
        };
        let is_cte = match name.0.as_slice() {
            [only] => only
                .as_ident()
                .is_some_and(|name| self.scopes.is_cte_ident(name)),
            _ => false,
        };
        let kind = match table {
            Some(table) if !is_cte => RelationKind::Table(table),
            Some(_) => RelationKind::Cte,
            None => RelationKind::Function,
        };
        let span = match kind {
            RelationKind::Table(_) => name_span(name, alias),
            _ => Span::empty(),
        };
        Relation {
            kind,
            binding,
            from_item: index,
            span,
        }
    }

    fn join_conditions(&mut self, from: &'a [TableWithJoins]) {
        for item in from {
            if let TableFactor::NestedJoin {
                table_with_joins, ..
            } = &item.relation
            {
                self.join_conditions(std::slice::from_ref(table_with_joins));
            }
            for join in &item.joins {
                if let TableFactor::NestedJoin {
                    table_with_joins, ..
                } = &join.relation
                {
                    self.join_conditions(std::slice::from_ref(table_with_joins));
                }
                if let Some(JoinConstraint::On(on)) = join_constraint(&join.join_operator) {
                    self.expr(on, Clause::JoinOn);
                }
            }
        }
    }

    fn function_arg(&mut self, arg: &'a FunctionArg, clause: Clause) {
        if let Some(expr) = function_arg_expr(arg) {
            self.expr(expr, clause);
        }
    }

    fn exprs(&mut self, exprs: &'a [Expr], clause: Clause) {
        for expr in exprs {
            self.expr(expr, clause);
        }
    }

    /// One clause root and everything below it, parents first, left to right.
    fn expr(&mut self, root: &'a Expr, clause: Clause) {
        self.visitor.clause(root, clause, &self.scopes);
        // The nodes of this clause sit above `base` in the shared stack; a
        // subquery's clauses (walked from inside this loop) leave it as
        // they found it.
        let base = self.pending.len();
        self.pending.push(Node::Expr(root));
        while self.pending.len() > base {
            let Some(node) = self.pending.pop() else {
                break;
            };
            match node {
                Node::Expr(expr) => {
                    self.visitor.expr(expr, clause, &self.scopes);
                    let first_child = self.pending.len();
                    push_children(expr, &mut self.pending);
                    // Popped last-in first-out: reversed, they come out left to right.
                    self.pending[first_child..].reverse();
                }
                Node::Query(query, position) => self.query(query, position),
            }
        }
    }
}
