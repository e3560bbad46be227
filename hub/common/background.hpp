// Background threads (routing, delivery, the schedule) run
// at a lower scheduling priority than the threads that answer partners: on a
// small machine an ingest request then never queues behind routing work,
// which simply uses the CPU that is left (and catches up when load drops).
#pragma once

namespace ketenhub {

// Lowers the calling thread's priority by `niceness` (Linux: per thread).
// Best effort: failing to do so changes only latency under load.
void run_in_background(int niceness = 10);

// Names the calling thread ("kh-writer", at most 15 characters) so that top -H,
// perf and bench/run.sh can tell the hub's threads apart.
void name_this_thread(const char* name);

}  // namespace ketenhub
