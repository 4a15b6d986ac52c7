//! When to look again while waiting for a job: the poll curve.
//!
//! A wait that polls every `i` seconds notices the end of a job up to `i` late, so the
//! interval decides how much longer than the service a pause takes. A fixed interval is
//! either wasteful for long jobs or late for short ones; the curve here keeps lateness
//! proportional to the time already waited:
//!
//! ```text
//! interval(waited) = clamp(growth × waited, min_interval, max_interval)
//! ```
//!
//! A job that ends at `D` is seen at the first poll `t ≥ D`; the poll before it was at
//! `t' < D`, so the lateness is at most `interval(t') ≤ growth × D`. With the default
//! growth of 8 % that leaves room, within a 10 % goal, for the round trip of the read
//! itself; the 0.25 s floor bounds lateness for short jobs (≤ 0.25 s + one round trip, well
//! under 0.5 s), and the 30 s cap bounds it for very long ones. After the floor phase the
//! polls grow geometrically, so their number grows with log(D): a 12 s job takes about 30
//! task-list reads, a 30-minute job about 120.
//!
//! The jobs API is only advisory (it can report a failure early, and progress), so it is
//! read on a slower curve of its own.

use std::time::Duration;

/// One poll curve: `interval(waited) = clamp(growth × waited, min, max)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// Fraction of the time already waited that the next interval may be.
    pub growth: f64,
}

impl PollSchedule {
    /// The task-list curve: lateness within max(0.25 s, 8 % of the job) plus a round trip.
    pub const STAGE: PollSchedule = PollSchedule {
        min_interval: Duration::from_millis(250),
        max_interval: Duration::from_secs(30),
        growth: 0.08,
    };

    /// The jobs-API curve: a failed job is reported within max(1 s, 50 %) of its age, and
    /// never more than a minute late.
    pub const JOB: PollSchedule = PollSchedule {
        min_interval: Duration::from_secs(1),
        max_interval: Duration::from_secs(60),
        growth: 0.5,
    };

    /// The pause before the next poll, after `waited` of waiting.
    pub fn interval(&self, waited: Duration) -> Duration {
        waited
            .mul_f64(self.growth.max(0.0))
            .clamp(self.min_interval, self.max_interval.max(self.min_interval))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    /// Polls a job of `duration` with `schedule` on tokio's paused clock (first poll at
    /// once, as a wait does); returns how late the job's end was seen and how many polls
    /// it took.
    async fn run(schedule: PollSchedule, duration: Duration) -> (Duration, u32) {
        let start = Instant::now();
        let mut polls = 0;
        loop {
            polls += 1;
            let waited = start.elapsed();
            if waited >= duration {
                return (waited - duration, polls);
            }
            tokio::time::sleep(schedule.interval(waited)).await;
        }
    }

    fn goal(duration: Duration) -> Duration {
        duration.mul_f64(0.10).max(Duration::from_millis(500))
    }

    #[tokio::test(start_paused = true)]
    async fn lateness_stays_within_the_goal_for_jobs_from_one_second_to_thirty_minutes() {
        // Leave 0.1 s of the goal (or 2 % of the job) for the round trip of the read.
        for secs in [1u64, 2, 3, 5, 7, 12, 30, 60, 300, 1800] {
            let duration = Duration::from_secs(secs);
            let (late, _) = run(PollSchedule::STAGE, duration).await;
            let room = Duration::from_millis(100).max(duration.mul_f64(0.02));
            assert!(
                late + room <= goal(duration),
                "{secs} s job seen {late:?} late (goal {:?})",
                goal(duration)
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn lateness_also_holds_for_jobs_ending_between_polls() {
        // Every end time in 10 ms steps up to 40 s: the worst case is just after a poll.
        let mut end = Duration::from_millis(10);
        while end <= Duration::from_secs(40) {
            let (late, _) = run(PollSchedule::STAGE, end).await;
            assert!(
                late <= goal(end).mul_f64(0.85),
                "end {end:?} seen {late:?} late"
            );
            end += Duration::from_millis(10);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_twelve_second_job_costs_well_under_sixty_requests() {
        let twelve = Duration::from_secs(12);
        let (_, list_reads) = run(PollSchedule::STAGE, twelve).await;
        // Job reads start after the first interval of their own curve.
        let (_, job_polls) = run(PollSchedule::JOB, twelve).await;
        let job_reads = job_polls - 1;
        let requests = 1 + list_reads + job_reads; // the pause POST, the reads
        assert!(requests <= 45, "{list_reads} list + {job_reads} job reads");
    }

    #[tokio::test(start_paused = true)]
    async fn long_jobs_are_polled_logarithmically_then_at_the_cap() {
        let (_, polls) = run(PollSchedule::STAGE, Duration::from_secs(1800)).await;
        assert!(polls <= 130, "{polls} polls for 30 minutes");
        assert_eq!(
            PollSchedule::STAGE.interval(Duration::from_secs(3600)),
            Duration::from_secs(30)
        );
        assert_eq!(
            PollSchedule::STAGE.interval(Duration::ZERO),
            Duration::from_millis(250)
        );
    }
}
