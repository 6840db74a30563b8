//! Condition types shared by both resources.

/// The job is waiting, running, or finished as far as the scheduler knows.
pub const SCHEDULED: &str = "Scheduled";
/// No SchedulerPolicy exists for the job's gpuType.
pub const POLICY_FOUND: &str = "PolicyFound";
