// net::HttpsServer's I/O threads, over real mutual TLS with the hub's own
// HTTPS client (the one that pushes to partners).
#include "adapter_harness.hpp"
#include "config/config.hpp"
#include "net/https_client.hpp"
#include "net/https_server.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace ketenhub;
using namespace std::chrono_literals;

namespace {

class HttpsServerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        certs_ = fs::temp_directory_path() / ("kh-https-server-certs-" + std::to_string(::getpid()));
        fs::remove_all(certs_);
        const std::string cmd = "bash " + ketenhub::testing::source_dir() + "/scripts/gen-dev-certs.sh " + certs_.string() + " >/dev/null";
        ASSERT_EQ(std::system(cmd.c_str()), 0);
    }
    static void TearDownTestSuite() { fs::remove_all(certs_); }

    static config::ListenerConfig listener(unsigned threads) {
        config::ListenerConfig l;
        l.address = "127.0.0.1";
        l.port = 0;
        l.threads = threads;
        l.tls = {(certs_ / "ca.pem").string(), (certs_ / "partner-endpoint.pem").string(),
                 (certs_ / "partner-endpoint-key.pem").string()};
        return l;
    }
    // A server with `threads` I/O threads whose handler calls `handle` and
    // answers 202; two documents posted (`first`, then `<b/>` once
    // `before_second` returns; the client opens a connection for each, since
    // neither finds the other's idle); both must be answered, and the server
    // drains cleanly.
    static void serve_two_posts(unsigned threads, const std::function<void(const net::HttpRequest&)>& handle,
                                const std::function<void()>& before_second = [] {}, const std::string& first = "<a/>") {
        const auto l = listener(threads);
        auto tls = net::make_server_tls(l.tls);
        ASSERT_TRUE(tls) << tls.error().message;
        net::HttpsServer server(l, *tls, [&](net::HttpRequest rq, const net::Peer&, net::Respond respond) {
            handle(rq);
            net::HttpResponse r;
            r.status = 202;
            r.body = "{}";
            respond(std::move(r));
        });
        auto started = server.start();
        ASSERT_TRUE(started) << started.error().message;
        auto client = net::make_https_client(
            {(certs_ / "ca.pem").string(), (certs_ / "hub-client.pem").string(), (certs_ / "hub-client-key.pem").string()}, 2);
        ASSERT_TRUE(client) << client.error().message;
        const std::string url = "https://localhost:" + std::to_string(server.port()) + "/in";
        std::promise<outbound::PushResponse> a, b;
        (*client)->post({.url = url, .content_type = "application/xml", .body = first}, [&](outbound::PushResponse r) { a.set_value(std::move(r)); });
        before_second();
        (*client)->post({.url = url, .content_type = "application/xml", .body = "<b/>"}, [&](outbound::PushResponse r) { b.set_value(std::move(r)); });
        for (const auto& r : {a.get_future().get(), b.get_future().get()}) EXPECT_EQ(r.status, 202) << r.error;
        EXPECT_TRUE(server.drain(5s));  // above the 2 s a closing session waits for the client's close_notify
    }

    static fs::path certs_;
};
fs::path HttpsServerTest::certs_;

}  // namespace

// Each I/O thread runs the connections accepted onto it, and connections are
// handed to the threads in turn: two requests on two connections are handled
// at the same time, each on its own thread. The handler of the first waits
// for the second, whose connection is opened only once the first's handler
// holds its thread: had the second connection gone to that thread too, or
// had the acceptor been on it, the second request could not have arrived.
TEST_F(HttpsServerTest, TwoConnectionsAreServedAtOnceOnTwoIoThreads) {
    std::mutex mutex;
    std::condition_variable arrived_cv;
    int arrived = 0;
    std::set<std::thread::id> handler_threads;
    bool first_saw_the_second = false;
    serve_two_posts(2, [&](const net::HttpRequest&) {
        std::unique_lock lock(mutex);
        const bool first = arrived == 0;
        ++arrived;
        handler_threads.insert(std::this_thread::get_id());
        arrived_cv.notify_all();
        // Blocks this I/O thread on purpose, as a slow handler would.
        if (first) first_saw_the_second = arrived_cv.wait_for(lock, 10s, [&] { return arrived >= 2; });
    }, [&] {
        std::unique_lock lock(mutex);
        arrived_cv.wait_for(lock, 10s, [&] { return arrived >= 1; });
    });
    EXPECT_TRUE(first_saw_the_second) << "the second request was not handled while the first's handler held its thread";
    EXPECT_EQ(handler_threads.size(), 2u);
}

// With one I/O thread a handler that holds it holds every connection: the
// property above comes from the threads, not from the test's timing.
TEST_F(HttpsServerTest, OneIoThreadServesItsConnectionsOneHandlerAtATime) {
    std::mutex mutex;
    int arrived = 0, concurrent = 0, most_at_once = 0;
    serve_two_posts(1, [&](const net::HttpRequest&) {
        {
            std::lock_guard lock(mutex);
            ++arrived;
            most_at_once = std::max(most_at_once, ++concurrent);
        }
        std::this_thread::sleep_for(100ms);
        std::lock_guard lock(mutex);
        --concurrent;
    });
    EXPECT_EQ(arrived, 2);
    EXPECT_EQ(most_at_once, 1);
}

// A document of 256 KiB or more (a batch export) is handled off its
// connection's I/O thread: while its handler is still busy, a small document
// on another connection of the same, only, I/O thread is read and answered.
TEST_F(HttpsServerTest, ALargeDocumentDoesNotHoldTheOtherConnectionsOfItsThread) {
    std::mutex mutex;
    std::condition_variable cv;
    bool large_started = false, small_answered = false, large_saw_small = false;
    const std::string large = "<export>" + std::string(300 * 1024, 'x') + "</export>";
    serve_two_posts(
        1,
        [&](const net::HttpRequest& rq) {
            std::unique_lock lock(mutex);
            if (rq.body.size() < large.size()) {
                small_answered = true;
                cv.notify_all();
                return;
            }
            large_started = true;
            cv.notify_all();
            large_saw_small = cv.wait_for(lock, 10s, [&] { return small_answered; });
        },
        [&] {
            std::unique_lock lock(mutex);
            cv.wait_for(lock, 10s, [&] { return large_started; });
        },
        large);
    EXPECT_TRUE(large_started);
    EXPECT_TRUE(large_saw_small) << "the small document waited for the large one's handler";
}
