// Background threads (routing, delivery, the schedule, the store's checkpoint
// copy) run as SCHED_BATCH, and the first three also at a lower priority, so
// that the threads that answer partners (I/O, the store's writer and sync) are
// not preempted when a background thread wakes: on a small machine an ingest
// request then never queues behind routing work or a checkpoint's copy, which
// use the CPU that is left (and catch up when load drops).
#pragma once

namespace ketenhub {

// Makes the calling thread SCHED_BATCH (it never preempts another thread
// when it wakes; its share of the CPU is unchanged) and sets its nice value to
// `niceness` (Linux: per thread; below the process's own value only with
// privilege). Best effort: failing to do so changes only latency under load.
void run_in_background(int niceness = 10);

// Names the calling thread ("kh-writer", at most 15 characters) so that top -H,
// perf and bench/run.sh can tell the hub's threads apart.
void name_this_thread(const char* name);

}  // namespace ketenhub
