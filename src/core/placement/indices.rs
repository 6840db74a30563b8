//! Step 3: give worker indices so that pods already on their planned node keep it.

use std::collections::BTreeMap;

use super::{CurrentBinding, JobNodes, Migration, Placement};

/// Turn job → node → planned workers into job → index → node.
///
/// A job planned for `k` workers has indices `0..k` (the MPI operator names
/// workers by index and, on a scale-down, removes the highest ones). Every
/// surviving index (`< k`) whose pod sits on a node that still has room in the
/// job's plan stays; the other indices fill the remaining room in node-name
/// order. A surviving pod whose node changes is a migration. A launcher is
/// deleted only when its job had surviving workers and every one of them moves.
pub fn assign_indices(planned: &JobNodes, current: &CurrentBinding) -> Placement {
    let mut out = Placement::default();
    for (job, per_node) in planned {
        let target: u32 = per_node.values().sum();
        if target == 0 {
            continue;
        }
        let mut room: BTreeMap<&str, u32> = per_node
            .iter()
            .filter(|&(_, &w)| w > 0)
            .map(|(n, &w)| (n.as_str(), w))
            .collect();
        let cur = current.get(job);
        let survivors = cur.into_iter().flat_map(|c| c.workers.range(..target));

        let mut binding: BTreeMap<u32, String> = BTreeMap::new();
        for (&index, node) in survivors.clone() {
            if let Some(r) = room.get_mut(node.as_str())
                && *r > 0
            {
                *r -= 1;
                binding.insert(index, node.clone());
            }
        }
        let mut spare = room
            .iter()
            .flat_map(|(&n, &r)| std::iter::repeat_n(n, r as usize));
        for index in 0..target {
            if binding.contains_key(&index) {
                continue;
            }
            if let Some(node) = spare.next() {
                binding.insert(index, node.to_owned());
            }
        }

        let mut kept = 0usize;
        let mut moved = 0usize;
        for (&index, from) in survivors {
            match binding.get(&index) {
                Some(to) if to == from => kept += 1,
                Some(to) => {
                    moved += 1;
                    out.migrations.push(Migration {
                        job: job.clone(),
                        index,
                        from: from.clone(),
                        to: to.clone(),
                    });
                }
                None => {}
            }
        }
        if moved > 0 && kept == 0 && cur.is_some_and(|c| c.launcher.is_some()) {
            out.launchers_to_delete.push(job.clone());
        }
        out.workers.insert(job.clone(), binding);
    }
    out
}
