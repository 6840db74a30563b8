//! The difference between two allocations, as the changes to apply (DESIGN §4).

use std::collections::BTreeMap;
use std::fmt;

/// One job's allocation change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub job: String,
    pub from: u32,
    pub to: u32,
}

/// What a change does to the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Allocation → 0: stop all pods, job back to Waiting.
    Halt,
    /// Fewer workers, still running.
    ScaleIn,
    /// From 0: create the MPIJob with that many workers.
    Start,
    /// More workers, already running.
    ScaleOut,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Halt => "halt",
            Action::ScaleIn => "scale-in",
            Action::Start => "start",
            Action::ScaleOut => "scale-out",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Change {
    /// `None` when nothing changes.
    pub fn action(&self) -> Option<Action> {
        match (self.from, self.to) {
            (f, t) if f == t => None,
            (_, 0) => Some(Action::Halt),
            (0, _) => Some(Action::Start),
            (f, t) if t < f => Some(Action::ScaleIn),
            _ => Some(Action::ScaleOut),
        }
    }
}

/// Changes from one allocation to the next, grouped by kind, each group ordered
/// by job name.
///
/// Apply order is halts, scale-ins, starts, scale-outs: GPUs are freed before
/// they are claimed, so the cluster never needs more GPUs than it has midway.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub halts: Vec<Change>,
    pub scale_ins: Vec<Change>,
    pub starts: Vec<Change>,
    pub scale_outs: Vec<Change>,
}

impl Plan {
    /// Diff job → workers maps; a job missing from one side has 0 there.
    pub fn diff(old: &BTreeMap<String, u32>, new: &BTreeMap<String, u32>) -> Plan {
        let mut plan = Plan::default();
        let mut jobs: Vec<&String> = old.keys().chain(new.keys()).collect();
        jobs.sort();
        jobs.dedup();
        for job in jobs {
            plan.push(Change {
                job: job.clone(),
                from: old.get(job).copied().unwrap_or(0),
                to: new.get(job).copied().unwrap_or(0),
            });
        }
        plan
    }

    /// Add a change to its group; callers push in job-name order. A change
    /// that changes nothing is dropped.
    pub fn push(&mut self, change: Change) {
        if let Some(action) = change.action() {
            self.group_mut(action).push(change);
        }
    }

    fn group_mut(&mut self, action: Action) -> &mut Vec<Change> {
        match action {
            Action::Halt => &mut self.halts,
            Action::ScaleIn => &mut self.scale_ins,
            Action::Start => &mut self.starts,
            Action::ScaleOut => &mut self.scale_outs,
        }
    }

    /// Every change, in the order to apply them.
    pub fn steps(&self) -> impl Iterator<Item = (Action, &Change)> {
        [
            (Action::Halt, &self.halts),
            (Action::ScaleIn, &self.scale_ins),
            (Action::Start, &self.starts),
            (Action::ScaleOut, &self.scale_outs),
        ]
        .into_iter()
        .flat_map(|(action, group)| group.iter().map(move |c| (action, c)))
    }

    pub fn len(&self) -> usize {
        self.halts.len() + self.scale_ins.len() + self.starts.len() + self.scale_outs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc(list: &[(&str, u32)]) -> BTreeMap<String, u32> {
        list.iter().map(|&(j, w)| (j.to_owned(), w)).collect()
    }

    fn change(job: &str, from: u32, to: u32) -> Change {
        Change {
            job: job.to_owned(),
            from,
            to,
        }
    }

    #[test]
    fn diff_groups_changes_and_orders_them_by_name() {
        let old = alloc(&[
            ("z-halt", 2),
            ("a-halt", 1),
            ("in", 4),
            ("out", 1),
            ("same", 3),
        ]);
        let new = alloc(&[
            ("in", 2),
            ("out", 3),
            ("same", 3),
            ("b-start", 2),
            ("a-start", 1),
        ]);
        let plan = Plan::diff(&old, &new);
        assert_eq!(
            plan.halts,
            vec![change("a-halt", 1, 0), change("z-halt", 2, 0)]
        );
        assert_eq!(plan.scale_ins, vec![change("in", 4, 2)]);
        assert_eq!(
            plan.starts,
            vec![change("a-start", 0, 1), change("b-start", 0, 2)]
        );
        assert_eq!(plan.scale_outs, vec![change("out", 1, 3)]);
        assert_eq!(plan.len(), 6);
    }

    #[test]
    fn steps_come_in_apply_order() {
        let old = alloc(&[("a", 4), ("b", 2), ("c", 0), ("d", 1)]);
        let new = alloc(&[("a", 5), ("b", 0), ("c", 2), ("d", 0), ("e", 1), ("f", 3)]);
        let plan = Plan::diff(&old, &new);
        let steps: Vec<(Action, &str)> = plan.steps().map(|(a, c)| (a, c.job.as_str())).collect();
        assert_eq!(
            steps,
            vec![
                (Action::Halt, "b"),
                (Action::Halt, "d"),
                (Action::Start, "c"),
                (Action::Start, "e"),
                (Action::Start, "f"),
                (Action::ScaleOut, "a"),
            ]
        );
        let old = alloc(&[("x", 4)]);
        let new = alloc(&[("x", 1), ("y", 1)]);
        let kinds: Vec<Action> = Plan::diff(&old, &new).steps().map(|(a, _)| a).collect();
        assert_eq!(kinds, vec![Action::ScaleIn, Action::Start]);
    }

    #[test]
    fn unchanged_allocations_give_an_empty_plan() {
        let a = alloc(&[("a", 4), ("b", 0)]);
        assert!(Plan::diff(&a, &a).is_empty());
        assert!(Plan::diff(&alloc(&[("b", 0)]), &BTreeMap::new()).is_empty());
    }
}
