// Background threads: SCHED_BATCH and a lower priority, per thread.
#include "common/background.hpp"

#include <gtest/gtest.h>

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

using namespace ketenhub;

TEST(Background, AThreadRunInTheBackgroundIsBatchAndNicerAndTheOthersAreNot) {
    const auto own_tid = static_cast<id_t>(::syscall(SYS_gettid));
    const int own_policy = ::sched_getscheduler(0), own_nice = ::getpriority(PRIO_PROCESS, own_tid);
    ASSERT_NE(own_policy, SCHED_BATCH) << "the test runs as batch already: nothing to tell apart";
    int policy = -1, nice = -100;
    std::thread t([&] {
        run_in_background(7);
        policy = ::sched_getscheduler(0);
        errno = 0;
        nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
    });
    t.join();
    EXPECT_EQ(policy, SCHED_BATCH);
    // The nice value is set, not added; below the creator's it needs privilege.
    if (own_nice <= 7) EXPECT_EQ(nice, 7);
    else EXPECT_GE(nice, 7);
    // Per thread: the test's own thread is as it was.
    EXPECT_EQ(::sched_getscheduler(0), own_policy);
    EXPECT_EQ(::getpriority(PRIO_PROCESS, own_tid), own_nice);
}
