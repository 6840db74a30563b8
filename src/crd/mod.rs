//! The custom resources: TrainingJob and SchedulerPolicy.
