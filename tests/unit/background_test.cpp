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
    int policy = -1, nice = -100;
    std::thread t([&] {
        run_in_background(7);
        policy = ::sched_getscheduler(0);
        errno = 0;
        nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
    });
    t.join();
    EXPECT_EQ(policy, SCHED_BATCH);
    EXPECT_EQ(nice, 7);
    // Per thread: the test's own thread is as it was.
    EXPECT_EQ(::sched_getscheduler(0), SCHED_OTHER);
    EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))), 0);
}
