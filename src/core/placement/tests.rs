use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

fn nodes(list: &[(&str, u32)]) -> Nodes {
    list.iter().map(|&(n, g)| (n.to_owned(), g)).collect()
}

fn targets(list: &[(&str, u32)]) -> BTreeMap<String, u32> {
    list.iter().map(|&(j, w)| (j.to_owned(), w)).collect()
}

/// A job's pods: worker nodes by index, with a launcher.
fn pods(workers: &[&str]) -> CurrentJob {
    CurrentJob {
        workers: workers
            .iter()
            .enumerate()
            .map(|(i, n)| (i as u32, (*n).to_owned()))
            .collect(),
        launcher: Some("n1".to_owned()),
    }
}

fn binding(list: &[(&str, CurrentJob)]) -> CurrentBinding {
    list.iter()
        .map(|(j, c)| ((*j).to_owned(), c.clone()))
        .collect()
}

fn nodes_of(p: &Placement, job: &str) -> Vec<String> {
    p.workers[job].values().cloned().collect()
}

fn migrated(p: &Placement) -> Vec<(String, u32)> {
    p.migrations
        .iter()
        .map(|m| (m.job.clone(), m.index))
        .collect()
}

#[test]
fn a_job_spread_over_two_nodes_is_consolidated() {
    let n = nodes(&[("n1", 8), ("n2", 8)]);
    let t = targets(&[("a", 4), ("b", 4)]);
    let cur = binding(&[
        ("a", pods(&["n1", "n1", "n2", "n2"])),
        ("b", pods(&["n1", "n1", "n1", "n1"])),
    ]);
    let p = place(&n, &t, &cur).unwrap();
    assert_eq!(nodes_of(&p, "a"), vec!["n1"; 4]);
    assert_eq!(nodes_of(&p, "b"), vec!["n1"; 4]);
    // Only the two workers of `a` on n2 move; a's launcher stays since two of its workers stay.
    assert_eq!(migrated(&p), vec![("a".into(), 2), ("a".into(), 3)]);
    assert!(p.launchers_to_delete.is_empty());
    assert_eq!(p.jobs_cross_node(), 0);
}

#[test]
fn workers_on_a_lost_node_move_and_the_rest_stay() {
    // n2 is gone from the node list (removed, NotReady or cordoned).
    let n = nodes(&[("n1", 8), ("n3", 8)]);
    let t = targets(&[("a", 8), ("b", 8)]);
    let cur = binding(&[("a", pods(&["n1"; 8])), ("b", pods(&["n2"; 8]))]);
    let p = place(&n, &t, &cur).unwrap();
    assert_eq!(nodes_of(&p, "a"), vec!["n1"; 8]);
    assert_eq!(nodes_of(&p, "b"), vec!["n3"; 8]);
    assert_eq!(p.migrations.len(), 8);
    assert!(p.migrations.iter().all(|m| m.job == "b" && m.from == "n2"));
    // Every worker of b moves, so its launcher goes too; a keeps its launcher.
    assert_eq!(p.launchers_to_delete, vec!["b".to_owned()]);
}

#[test]
fn scale_down_releases_the_highest_indices() {
    let n = nodes(&[("n1", 8), ("n2", 8)]);
    let t = targets(&[("a", 2)]);
    let cur = binding(&[("a", pods(&["n1", "n1", "n2", "n2"]))]);
    let p = place(&n, &t, &cur).unwrap();
    // Indices 2 and 3 disappear with the replica count; 0 and 1 stay on n1,
    // rather than "keeping" 2 and 3 on n2 and moving 0 and 1 there.
    assert_eq!(
        p.workers["a"],
        BTreeMap::from([(0, "n1".to_owned()), (1, "n1".to_owned())])
    );
    assert!(p.migrations.is_empty());
}

#[test]
fn scale_down_counts_only_surviving_workers_when_matching() {
    // Survivors 0 and 1 sit on n2 and n1, the released 2 and 3 both on n2:
    // only one survivor can stay, whichever node the plan keeps.
    let n = nodes(&[("n1", 8), ("n2", 8)]);
    let t = targets(&[("a", 2)]);
    let cur = binding(&[("a", pods(&["n2", "n1", "n2", "n2"]))]);
    let p = place(&n, &t, &cur).unwrap();
    assert_eq!(p.migrations.len(), 1);
    assert!(p.launchers_to_delete.is_empty());
    assert_eq!(p.jobs_cross_node(), 0);
}

#[test]
fn scale_out_keeps_existing_workers_and_adds_new_indices() {
    let n = nodes(&[("n1", 8), ("n2", 8)]);
    let t = targets(&[("a", 6)]);
    let cur = binding(&[("a", pods(&["n2", "n2"]))]);
    let p = place(&n, &t, &cur).unwrap();
    assert_eq!(nodes_of(&p, "a"), vec!["n2"; 6]);
    assert!(p.migrations.is_empty());
}

#[test]
fn a_job_larger_than_any_node_fills_the_emptiest_nodes() {
    let n = nodes(&[("n1", 8), ("n2", 8), ("n3", 4)]);
    let t = targets(&[("big", 12), ("small", 4)]);
    let layout = pack(&n, &t).unwrap();
    // big: fills n1 (most free, first by name), then its 4 left best-fit into n3;
    // small then best-fits into n2.
    assert_eq!(layout.bins[0], targets(&[("big", 8)]));
    assert_eq!(layout.bins[1], targets(&[("small", 4)]));
    assert_eq!(layout.bins[2], targets(&[("big", 4)]));
}

#[test]
fn best_fit_prefers_the_fullest_node_that_fits() {
    let n = nodes(&[("n1", 8), ("n2", 8)]);
    let t = targets(&[("a", 5), ("b", 3), ("c", 3)]);
    let layout = pack(&n, &t).unwrap();
    // a → n1 (tie, first name); b → n1 (3 free, exact fit); c → n2.
    assert_eq!(layout.bins[0], targets(&[("a", 5), ("b", 3)]));
    assert_eq!(layout.bins[1], targets(&[("c", 3)]));
}

#[test]
fn matching_respects_node_sizes() {
    // `a` has 4 workers on the small node, but 6 do not fit there.
    let n = nodes(&[("big", 8), ("small", 4)]);
    let t = targets(&[("a", 6)]);
    let cur = binding(&[(
        "a",
        pods(&["small", "small", "small", "small", "big", "big"]),
    )]);
    let p = place(&n, &t, &cur).unwrap();
    assert_eq!(nodes_of(&p, "a"), vec!["big"; 6]);
    assert_eq!(
        migrated(&p),
        (0..4).map(|i| ("a".to_owned(), i)).collect::<Vec<_>>()
    );
}

#[test]
fn launcher_is_deleted_only_if_every_surviving_worker_moves() {
    let n = nodes(&[("n1", 8), ("n2", 8)]);
    // `a` must leave n2 entirely (n2 is full of `b`, which stays).
    let t = targets(&[("a", 2), ("b", 8)]);
    let mut a = pods(&["n2", "n2"]);
    let cur = binding(&[("a", a.clone()), ("b", pods(&["n2"; 8]))]);
    let p = place(&n, &t, &cur).unwrap();
    assert_eq!(p.launchers_to_delete, vec!["a".to_owned()]);

    // No launcher pod, nothing to delete.
    a.launcher = None;
    let cur = binding(&[("a", a), ("b", pods(&["n2"; 8]))]);
    let p = place(&n, &t, &cur).unwrap();
    assert!(p.launchers_to_delete.is_empty());
    assert_eq!(p.migrations.len(), 2);
}

#[test]
fn a_new_job_is_not_a_migration() {
    let n = nodes(&[("n1", 8)]);
    let p = place(&n, &targets(&[("a", 3)]), &CurrentBinding::new()).unwrap();
    assert_eq!(nodes_of(&p, "a"), vec!["n1"; 3]);
    assert!(p.migrations.is_empty() && p.launchers_to_delete.is_empty());
}

#[test]
fn over_capacity_is_an_error_not_a_panic() {
    let n = nodes(&[("n1", 4), ("n2", 4)]);
    let err = place(&n, &targets(&[("a", 6), ("b", 3)]), &CurrentBinding::new()).unwrap_err();
    assert_eq!(
        err,
        PlacementError::InsufficientCapacity {
            requested: 9,
            available: 8
        }
    );
    assert_eq!(
        err.to_string(),
        "jobs need 9 GPUs but the nodes have only 8"
    );
}

#[test]
fn a_layout_that_fits_no_node_is_an_error() {
    let n = nodes(&[("n1", 4), ("n2", 4)]);
    let layout = Layout {
        bins: vec![targets(&[("a", 6)])],
    };
    assert_eq!(
        match_layout(&n, &layout, &CurrentBinding::new()),
        Err(PlacementError::Unplaceable)
    );
    let layout = Layout {
        bins: vec![targets(&[("a", 1)]); 3],
    };
    assert_eq!(
        match_layout(&n, &layout, &CurrentBinding::new()),
        Err(PlacementError::TooManyBins { bins: 3, nodes: 2 })
    );
}

#[test]
fn zero_targets_and_empty_inputs_are_fine() {
    let p = place(&Nodes::new(), &BTreeMap::new(), &CurrentBinding::new()).unwrap();
    assert_eq!(p, Placement::default());
    let n = nodes(&[("n1", 8)]);
    let cur = binding(&[("halted", pods(&["n1"]))]);
    let p = place(&n, &targets(&[("halted", 0)]), &cur).unwrap();
    assert_eq!(p, Placement::default());
}

// ---- properties ------------------------------------------------------------

fn node_name(i: usize) -> String {
    format!("n{i:02}")
}

/// Nodes of 0..=8 GPUs, targets that fit in total, and an arbitrary current
/// binding (including nodes that no longer exist and released indices).
fn scenario() -> impl Strategy<Value = (Nodes, BTreeMap<String, u32>, CurrentBinding)> {
    (
        prop::collection::vec(0u32..=8, 1..10),
        prop::collection::vec(0u32..=12, 0..8),
    )
        .prop_flat_map(|(caps, wants)| {
            let nodes: Nodes = caps
                .iter()
                .enumerate()
                .map(|(i, &g)| (node_name(i), g))
                .collect();
            let mut left: u32 = caps.iter().sum();
            let mut targets = BTreeMap::new();
            for (j, w) in wants.into_iter().enumerate() {
                let w = w.min(left);
                left -= w;
                targets.insert(format!("job{j}"), w);
            }
            let n_nodes = caps.len();
            let jobs: Vec<(String, u32)> = targets.iter().map(|(j, &w)| (j.clone(), w)).collect();
            let current = jobs
                .into_iter()
                .map(move |(job, w)| {
                    // Node n_nodes stands for a node that disappeared.
                    let pods =
                        prop::collection::btree_map(0..w + 3, 0..=n_nodes, 0..(w as usize + 3));
                    (Just(job), pods, any::<bool>())
                })
                .collect::<Vec<_>>()
                .prop_map(|jobs| {
                    jobs.into_iter()
                        .map(|(job, pods, launcher)| {
                            let workers =
                                pods.into_iter().map(|(i, n)| (i, node_name(n))).collect();
                            let launcher = launcher.then(|| node_name(0));
                            (job, CurrentJob { workers, launcher })
                        })
                        .collect::<CurrentBinding>()
                });
            (Just(nodes), Just(targets), current)
        })
}

/// A current binding that fits the nodes, plus the layout with exactly its
/// per-node counts, bins in shuffled order.
fn settled() -> impl Strategy<Value = (Nodes, CurrentBinding, Layout)> {
    prop::collection::vec(
        (1u32..=8, prop::collection::vec((0usize..5, 1u32..=4), 0..4)),
        1..10,
    )
    .prop_flat_map(|spec| {
        let mut nodes = Nodes::new();
        let mut current = CurrentBinding::new();
        let mut bins = Vec::new();
        for (i, (cap, chunks)) in spec.into_iter().enumerate() {
            let name = node_name(i);
            nodes.insert(name.clone(), cap);
            let mut left = cap;
            let mut bin = BTreeMap::new();
            for (job, w) in chunks {
                let w = w.min(left);
                left -= w;
                if w == 0 {
                    continue;
                }
                let job = format!("job{job}");
                *bin.entry(job.clone()).or_insert(0) += w;
                let pods = current.entry(job).or_default();
                for _ in 0..w {
                    let index = pods.workers.len() as u32;
                    pods.workers.insert(index, name.clone());
                }
            }
            bins.push(bin);
        }
        (Just(nodes), Just(current), Just(bins).prop_shuffle())
    })
    .prop_map(|(nodes, current, bins)| (nodes, current, Layout { bins }))
}

/// `n_nodes` nodes of 8 GPUs and jobs wanting `wants`, cut to what still fits.
fn eight_gpu_nodes(n_nodes: usize, wants: Vec<u32>) -> (Nodes, BTreeMap<String, u32>) {
    let nodes: Nodes = (0..n_nodes).map(|i| (node_name(i), 8)).collect();
    let mut left = 8 * n_nodes as u32;
    let mut targets = BTreeMap::new();
    for (j, w) in wants.into_iter().enumerate() {
        let w = w.min(left);
        left -= w;
        targets.insert(format!("job{j:02}"), w);
    }
    (nodes, targets)
}

proptest! {
    #[test]
    fn every_job_gets_its_target_and_no_node_is_overfilled(
        (nodes, targets, current) in scenario()
    ) {
        let p = place(&nodes, &targets, &current).unwrap();
        for (job, &w) in &targets {
            let got = p.workers.get(job).map(|b| b.keys().copied().collect::<Vec<_>>()).unwrap_or_default();
            prop_assert_eq!(got, (0..w).collect::<Vec<_>>());
        }
        prop_assert!(p.workers.keys().all(|j| targets.get(j).is_some_and(|&w| w > 0)));
        for (node, load) in p.node_load() {
            prop_assert!(load <= nodes[&node], "{node}: {load} > {}", nodes[&node]);
        }
        // Migrations are exactly the surviving pods whose node changed.
        let mut expected = Vec::new();
        for (job, plan) in &p.workers {
            for (i, from) in current.get(job).into_iter().flat_map(|c| c.workers.range(..plan.len() as u32)) {
                if plan[i] != *from {
                    expected.push((job.clone(), *i));
                }
            }
        }
        prop_assert_eq!(migrated(&p), expected);
        // Same input, same output.
        prop_assert_eq!(place(&nodes, &targets, &current).unwrap(), p);
    }

    #[test]
    fn a_plan_with_todays_counts_migrates_nobody((nodes, current, layout) in settled()) {
        let planned = match_layout(&nodes, &layout, &current).unwrap();
        let p = assign_indices(&planned, &current);
        prop_assert!(p.migrations.is_empty());
        prop_assert!(p.launchers_to_delete.is_empty());
        let today: BTreeMap<_, _> = current.iter().map(|(j, c)| (j.clone(), c.workers.clone())).collect();
        prop_assert_eq!(p.workers, today);
    }

    #[test]
    fn placing_again_after_renaming_equal_nodes_migrates_nobody(
        (n_nodes, wants, perm_seed) in (1usize..12, prop::collection::vec(1u32..=16, 0..10), any::<u64>())
    ) {
        let (nodes, targets) = eight_gpu_nodes(n_nodes, wants);
        let first = place(&nodes, &targets, &CurrentBinding::new()).unwrap();
        // Today's pods: the same layout on a permutation of the (identical) nodes.
        let mut perm: Vec<usize> = (0..n_nodes).collect();
        let mut s = perm_seed;
        for i in (1..n_nodes).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            perm.swap(i, (s >> 33) as usize % (i + 1));
        }
        let rename = |n: &String| node_name(perm[n[1..].parse::<usize>().unwrap()]);
        let current: CurrentBinding = first
            .workers
            .iter()
            .map(|(j, w)| {
                let workers = w.iter().map(|(&i, n)| (i, rename(n))).collect();
                (j.clone(), CurrentJob { workers, launcher: None })
            })
            .collect();
        let again = place(&nodes, &targets, &current).unwrap();
        prop_assert!(again.migrations.is_empty());
        let today: BTreeMap<_, _> = current.iter().map(|(j, c)| (j.clone(), c.workers.clone())).collect();
        prop_assert_eq!(again.workers, today);
    }
}

// ---- the dense implementation against the named one it replaced --------------
//
// Equal optimal scores, not equal layouts: on uniform nodes the matching is
// solved per component of the score graph, whose Hungarians break ties in
// another order than the one over all nodes.

/// Both succeed or fail alike, keep the same number of workers in place, and
/// give every job its target.
fn same_quality(
    got: &Result<Placement, PlacementError>,
    want: &Result<Placement, PlacementError>,
) -> Result<(), TestCaseError> {
    match (got, want) {
        (Ok(got), Ok(want)) => {
            prop_assert_eq!(got.migrations.len(), want.migrations.len());
            let sizes = |p: &Placement| -> Vec<(String, usize)> {
                p.workers
                    .iter()
                    .map(|(j, w)| (j.clone(), w.len()))
                    .collect()
            };
            prop_assert_eq!(sizes(got), sizes(want));
        }
        (got, want) => prop_assert_eq!(got, want),
    }
    Ok(())
}

/// Like [`scenario`] on a cluster of 8-GPU nodes big enough for the Hungarian
/// to have real choices (ties, many scored bins), mostly full.
fn big_scenario() -> impl Strategy<Value = (Nodes, BTreeMap<String, u32>, CurrentBinding)> {
    (
        8usize..40,
        prop::collection::vec(1u32..=16, 1..60),
        any::<u64>(),
    )
        .prop_map(|(n_nodes, wants, seed)| {
            let (nodes, targets) = eight_gpu_nodes(n_nodes, wants);
            // Today's pods: a pseudo-random scatter, some on a lost node.
            let mut s = seed;
            let mut next = |m: usize| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 33) as usize % m
            };
            let current = targets
                .iter()
                .map(|(j, &w)| {
                    let mut workers = BTreeMap::new();
                    for i in 0..w + 1 {
                        if next(4) != 0 {
                            workers.insert(i, node_name(next(n_nodes + 1)));
                        }
                    }
                    let launcher = (next(2) == 0).then(|| node_name(0));
                    (j.clone(), CurrentJob { workers, launcher })
                })
                .collect();
            (nodes, targets, current)
        })
}

proptest! {
    #[test]
    fn dense_placement_is_as_good_as_the_named_reference((nodes, targets, current) in scenario()) {
        prop_assert_eq!(pack(&nodes, &targets), reference::pack(&nodes, &targets));
        same_quality(&place(&nodes, &targets, &current), &reference::place(&nodes, &targets, &current))?;
    }

    #[test]
    fn dense_placement_is_as_good_as_the_named_reference_on_big_clusters(
        (nodes, targets, current) in big_scenario()
    ) {
        same_quality(&place(&nodes, &targets, &current), &reference::place(&nodes, &targets, &current))?;
    }

    #[test]
    fn dense_matching_equals_the_named_reference((nodes, current, layout) in settled()) {
        // Today's layout keeps everyone: the optimum is unique here.
        let planned = match_layout(&nodes, &layout, &current);
        prop_assert_eq!(&planned, &reference::match_layout(&nodes, &layout, &current));
        if let Ok(planned) = planned {
            prop_assert_eq!(assign_indices(&planned, &current), reference::assign_indices(&planned, &current));
        }
    }
}
