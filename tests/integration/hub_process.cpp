#include "hub_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ketenhub::it {

namespace {

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// fork + exec with the child's stderr (and stdout too, or /dev/null) on a
// pipe. Only async-signal-safe calls between fork and exec.
pid_t spawn(const std::vector<std::string>& args, bool stdout_to_pipe, int& read_fd) {
    if (args.empty()) throw std::runtime_error("spawn: no command");
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        close(devnull);
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        // Killed with the test process, whatever happens to it.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        dup2(devnull, STDIN_FILENO);
        dup2(stdout_to_pipe ? fds[1] : devnull, STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(fds[1]);
    close(devnull);
    read_fd = fds[0];
    return pid;
}

}  // namespace

HubProcess::HubProcess(const std::vector<std::string>& argv) {
    pid_ = spawn(argv, false, stderr_fd_);
    reader_ = std::thread([this] { read_loop(); });
}

HubProcess::~HubProcess() {
    if (!exit_code_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    if (reader_.joinable()) reader_.join();  // EOF once the child is gone
    if (stderr_fd_ >= 0) close(stderr_fd_);
}

void HubProcess::signal(int sig) const { ::kill(pid_, sig); }

void HubProcess::read_loop() {
    std::string partial;
    char buf[4096];
    for (;;) {
        ssize_t n = read(stderr_fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        partial.append(buf, static_cast<size_t>(n));
        size_t nl;
        while ((nl = partial.find('\n')) != std::string::npos) {
            std::string line = partial.substr(0, nl);
            partial.erase(0, nl + 1);
            auto parsed = nlohmann::json::parse(line, nullptr, false);
            {
                std::lock_guard lock(mutex_);
                lines_.push_back(line);
                events_.push_back(parsed.is_discarded() ? nlohmann::json() : std::move(parsed));
            }
            cv_.notify_all();
        }
    }
    std::lock_guard lock(mutex_);
    if (!partial.empty()) {
        lines_.push_back(partial);
        events_.emplace_back();
    }
    eof_ = true;
    cv_.notify_all();
}

size_t HubProcess::mark() const {
    std::lock_guard lock(mutex_);
    return lines_.size();
}

std::optional<nlohmann::json> HubProcess::wait_for_event(const std::string& event, size_t from,
                                                         std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::optional<nlohmann::json> found;
    auto search = [&] {
        for (size_t i = from; i < events_.size(); ++i) {
            const auto& e = events_[i];
            if (e.is_object() && e.value("event", "") == event) {
                found = e;
                return true;
            }
        }
        from = events_.size();
        return eof_;
    };
    cv_.wait_for(lock, timeout, search);
    return found;
}

std::string HubProcess::log_text() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
}

std::optional<int> HubProcess::wait_exit(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_code_ = decode_status(status);
            return exit_code_;
        }
        if (r < 0 && errno != EINTR) return std::nullopt;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(20ms);
    }
}

bool HubProcess::running() { return !wait_exit(0ms).has_value(); }

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    int fd = -1;
    pid_t pid = spawn(argv, true, fd);
    CommandResult result;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool killed = false;
    char buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) {
            ::kill(pid, SIGKILL);
            killed = true;
            break;
        }
        pollfd p{fd, POLLIN, 0};
        int r = poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) continue;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        result.output.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = decode_status(status);
    if (killed) result.output += "\n[killed after the timeout]\n";
    return result;
}

}  // namespace ketenhub::it
