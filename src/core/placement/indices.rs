//! Step 3: give worker indices so that pods already on their planned node keep it.

use std::borrow::Borrow;

use super::matching::DensePlan;
use super::names::Names;
use super::{CurrentBinding, DenseJob, DenseMigration, DensePlacement, JobNodes, Placement};

/// Turn job → node → planned workers into job → index → node.
///
/// A job planned for `k` workers has indices `0..k` (the MPI operator names
/// workers by index and, on a scale-down, removes the highest ones). Every
/// surviving index (`< k`) whose pod sits on a node that still has room in the
/// job's plan stays; the other indices fill the remaining room in node-name
/// order. A surviving pod whose node changes is a migration. A launcher is
/// deleted only when its job had surviving workers and every one of them moves.
pub fn assign_indices(planned: &JobNodes, current: &CurrentBinding) -> Placement {
    let names = Names::of_plan(planned);
    let plan = names.dense_plan(planned);
    let cur = names.current(current);
    names.placement(&assign_dense(&plan, &cur), current)
}

/// [`assign_indices`] by position: `planned[j]` and `current[j]` are job `j`.
pub fn assign_dense(planned: &DensePlan, current: &[impl Borrow<DenseJob>]) -> DensePlacement {
    let mut out = DensePlacement {
        workers: vec![Vec::new(); planned.len()],
        ..DensePlacement::default()
    };
    for (job, per_node) in planned.iter().enumerate() {
        let target: u32 = per_node.iter().map(|&(_, w)| w).sum();
        if target == 0 {
            continue;
        }
        // (node, room left), ordered by node.
        let mut room: Vec<(usize, u32)> =
            per_node.iter().copied().filter(|&(_, w)| w > 0).collect();
        let cur: Option<&DenseJob> = current.get(job).map(Borrow::borrow);
        let survivors: &[(u32, Option<usize>)] = cur.map_or(&[], |c| {
            let end = c.workers.partition_point(|&(index, _)| index < target);
            &c.workers[..end]
        });

        let mut binding: Vec<Option<usize>> = vec![None; target as usize];
        for &(index, node) in survivors {
            let Some(node) = node else { continue };
            if let Ok(r) = room.binary_search_by_key(&node, |&(n, _)| n)
                && room[r].1 > 0
            {
                room[r].1 -= 1;
                binding[index as usize] = Some(node);
            }
        }
        let mut spare = room
            .iter()
            .flat_map(|&(n, r)| std::iter::repeat_n(n, r as usize));
        // Room adds up to the target, so every free index finds a node.
        let binding: Vec<usize> = binding
            .into_iter()
            .map(|b| b.or_else(|| spare.next()).unwrap_or_default())
            .collect();

        let mut kept = 0usize;
        let mut moved = 0usize;
        for &(index, from) in survivors {
            let to = binding[index as usize];
            if from == Some(to) {
                kept += 1;
            } else {
                moved += 1;
                out.migrations.push(DenseMigration {
                    job,
                    index,
                    from,
                    to,
                });
            }
        }
        if moved > 0 && kept == 0 && cur.is_some_and(|c| c.launcher) {
            out.launchers_to_delete.push(job);
        }
        out.workers[job] = binding;
    }
    out
}
