#include "common/background.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ketenhub {

void run_in_background(int niceness) {
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    ::setpriority(PRIO_PROCESS, tid, niceness);
}

}  // namespace ketenhub
