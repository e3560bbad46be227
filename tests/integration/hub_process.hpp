// The real `ketenhub` binary as a child process: its stderr (JSON log lines)
// is collected by a reader thread, so a test can wait for an event such as
// {"event":"listening","port":N}. A child still running when the object is
// destroyed is killed with SIGKILL and reaped; the child also gets SIGKILL
// from the kernel if the test process dies (PR_SET_PDEATHSIG), so a failing
// or timed-out test never leaves a daemon behind.
#pragma once

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ketenhub::it {

using namespace std::chrono_literals;

class HubProcess {
public:
    // Starts argv[0] with the given arguments; stdout goes to /dev/null,
    // stderr is captured. Throws std::runtime_error when it cannot start.
    explicit HubProcess(const std::vector<std::string>& argv);
    ~HubProcess();
    HubProcess(const HubProcess&) = delete;
    HubProcess& operator=(const HubProcess&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig) const;

    // Number of log lines read so far: a mark to wait for events after it.
    size_t mark() const;
    // The first log line at index >= from whose "event" is `event`; nullopt
    // when the timeout passes or the child's stderr closes first.
    std::optional<nlohmann::json> wait_for_event(const std::string& event, size_t from = 0,
                                                 std::chrono::milliseconds timeout = 30s);
    // Every log line (raw text), for failure messages.
    std::string log_text() const;

    // Waits for the child to exit: its exit code, 128+N when killed by signal
    // N, or nullopt if it is still running after the timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = 30s);
    bool running();

private:
    void read_loop();

    pid_t pid_ = -1;
    int stderr_fd_ = -1;
    std::optional<int> exit_code_;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
    std::vector<nlohmann::json> events_;  // parsed lines_ (null when not JSON)
    bool eof_ = false;
};

struct CommandResult {
    int exit_code = -1;   // 128+N when killed by signal N
    std::string output;   // stdout and stderr, interleaved
};

// Runs a command to completion (SIGKILL after the timeout, exit code 137).
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 60s);

}  // namespace ketenhub::it
