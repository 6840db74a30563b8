//! The assignment problem inside [`super::match_dense`]: give each bin a
//! distinct node, maximising the total score (workers that stay put).

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

/// A bin to place: its load and its positive scores as (node, score), by node.
pub struct Row {
    pub load: u64,
    pub scores: Vec<(usize, u64)>,
}

/// Nodes for `rows` (one each, distinct) maximising Σ score with no node
/// overfilled, or `None` if no such assignment exists. Needs `rows.len()` ≤
/// nodes.
pub fn assign(capacity: &[u64], rows: &[Row]) -> Option<Vec<usize>> {
    let min_cap = capacity.iter().copied().min().unwrap_or(0);
    if rows.iter().all(|r| r.load <= min_cap) {
        Some(by_component(capacity.len(), rows))
    } else {
        whole(capacity, rows)
    }
}

/// One Hungarian over every row and node; the general case, where a bin fits
/// only some nodes.
fn whole(capacity: &[u64], rows: &[Row]) -> Option<Vec<usize>> {
    let total: u64 = rows
        .iter()
        .flat_map(|r| r.scores.iter().map(|&(_, s)| s))
        .sum();
    // Any pair that overfills a node costs more than every kept worker is
    // worth, so the optimum is infeasible only when nothing feasible exists.
    let forbidden = -(i64::try_from(total).unwrap_or(i64::MAX / 2) + 1);
    let mut weights = Matrix::from_fn(rows.len(), capacity.len(), |(r, n)| {
        if rows[r].load > capacity[n] {
            forbidden
        } else {
            0
        }
    });
    for (r, row) in rows.iter().enumerate() {
        for &(n, s) in &row.scores {
            if row.load <= capacity[n] {
                weights[(r, n)] = i64::try_from(s).unwrap_or(0);
            }
        }
    }
    let (_, columns) = kuhn_munkres(&weights);
    columns
        .iter()
        .enumerate()
        .all(|(r, &n)| rows[r].load <= capacity[n])
        .then_some(columns)
}

/// When every bin fits every node, a zero-score pair is always available, so
/// the problem is a maximum-weight matching on the positive scores alone, and
/// that falls apart into the connected components of the (bin, node) score
/// graph. Components are small — a bin scores only where its jobs' workers
/// are — so many small Hungarians beat one over all nodes, which is cubic.
/// Bins that the optimum leaves without a scoring node take the unused nodes
/// in order.
fn by_component(n_nodes: usize, rows: &[Row]) -> Vec<usize> {
    // Rows scoring on each node, flat: node n's are flat[start[n]..start[n + 1]]
    // (one allocation instead of one per node; this runs very often).
    let mut start = vec![0usize; n_nodes + 1];
    for row in rows {
        for &(n, _) in &row.scores {
            start[n + 1] += 1;
        }
    }
    for n in 0..n_nodes {
        start[n + 1] += start[n];
    }
    let mut flat = vec![0usize; start[n_nodes]];
    let mut fill = start.clone();
    for (r, row) in rows.iter().enumerate() {
        for &(n, _) in &row.scores {
            flat[fill[n]] = r;
            fill[n] += 1;
        }
    }
    let rows_of_node = |n: usize| &flat[start[n]..start[n + 1]];
    let mut node: Vec<Option<usize>> = vec![None; rows.len()];
    let mut taken = vec![false; n_nodes];
    let mut row_seen = vec![false; rows.len()];
    let mut node_seen = vec![false; n_nodes];
    let (mut comp_rows, mut comp_nodes) = (Vec::new(), Vec::new());
    for first in 0..rows.len() {
        if row_seen[first] {
            continue;
        }
        // Collect the component: rows and nodes reachable through scores.
        comp_rows.clear();
        comp_nodes.clear();
        comp_rows.push(first);
        row_seen[first] = true;
        let mut next = 0;
        while next < comp_rows.len() {
            for &(n, _) in &rows[comp_rows[next]].scores {
                if !node_seen[n] {
                    node_seen[n] = true;
                    comp_nodes.push(n);
                    for &r in rows_of_node(n) {
                        if !row_seen[r] {
                            row_seen[r] = true;
                            comp_rows.push(r);
                        }
                    }
                }
            }
            next += 1;
        }
        comp_rows.sort_unstable();
        comp_nodes.sort_unstable();
        if comp_nodes.is_empty() {
            continue;
        }
        if let ([r], [n]) = (comp_rows.as_slice(), comp_nodes.as_slice()) {
            node[*r] = Some(*n);
            taken[*n] = true;
            continue;
        }
        // Extra zero columns stand for "any node outside the component".
        let width = comp_nodes.len().max(comp_rows.len());
        let mut weights = Matrix::new(comp_rows.len(), width, 0i64);
        for (i, &r) in comp_rows.iter().enumerate() {
            for &(n, s) in &rows[r].scores {
                if let Ok(j) = comp_nodes.binary_search(&n) {
                    weights[(i, j)] = i64::try_from(s).unwrap_or(i64::MAX / 2);
                }
            }
        }
        let (_, columns) = kuhn_munkres(&weights);
        for (i, &j) in columns.iter().enumerate() {
            if let Some(&n) = comp_nodes.get(j) {
                node[comp_rows[i]] = Some(n);
                taken[n] = true;
            }
        }
    }
    let mut free = (0..n_nodes).filter(|&n| !taken[n]);
    node.into_iter()
        // The caller checked rows ≤ nodes, so a free node is left for each.
        .map(|n| n.or_else(|| free.next()).unwrap_or_default())
        .collect()
}
