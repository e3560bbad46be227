// A partner's receiving endpoint for tests and benchmarks: an HTTPS server
// with mutual TLS (the hub must present a certificate from --client-ca) that
// stores every document it is sent and answers as told. It is the hub's own
// server code (net::HttpsServer), so the TLS and HTTP on the wire are real.
//
//   ketenhub-partner-endpoint --port-file F --certificate C --private-key K --client-ca CA --out DIR
//                             [--port N] [--answers 503,503,202] [--retry-after SECONDS]
//
// Each request is written to DIR/NNNNNN.xml and a line to DIR/received.jsonl:
// {"n":1,"at_ms":...,"method":"POST","target":"/...","message_id":"...","type":"...",
//  "content_type":"...","client":"CN=ketenhub,...","status":202}
// --answers gives the status of the 1st, 2nd, ... request; after the list,
// the last one repeats (default 202). Stops on SIGTERM/SIGINT.
#include "net/https_server.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

using namespace ketenhub;

int main(int argc, char** argv) {
    std::string port_file, out, answers_text = "202";
    long retry_after = -1;
    config::ListenerConfig l;
    l.address = "127.0.0.1";
    l.port = 0;
    l.threads = 1;
    l.max_body_bytes = 8 << 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--port-file") port_file = v;
        else if (k == "--port") l.port = static_cast<uint16_t>(std::stoi(v));
        else if (k == "--certificate") l.tls.certificate = v;
        else if (k == "--private-key") l.tls.private_key = v;
        else if (k == "--client-ca") l.tls.client_ca = v;
        else if (k == "--out") out = v;
        else if (k == "--answers") answers_text = v;
        else if (k == "--retry-after") retry_after = std::stol(v);
        else {
            std::cerr << "unknown option " << k << "\n";
            return 2;
        }
    }
    if (out.empty() || l.tls.certificate.empty() || l.tls.private_key.empty() || l.tls.client_ca.empty()) {
        std::cerr << "usage: ketenhub-partner-endpoint --certificate C --private-key K --client-ca CA --out DIR "
                     "[--port N] [--port-file F] [--answers 503,202] [--retry-after S]\n";
        return 2;
    }
    std::vector<unsigned> answers;
    std::stringstream ss(answers_text);
    for (std::string item; std::getline(ss, item, ',');) answers.push_back(static_cast<unsigned>(std::stoul(item)));
    if (answers.empty()) answers.push_back(202);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto tls = net::make_server_tls(l.tls);
    if (!tls) {
        std::cerr << tls.error().message << "\n";
        return 2;
    }
    std::mutex mutex;
    size_t n = 0;
    std::ofstream log(out + "/received.jsonl", std::ios::app);
    net::HttpsServer server(l, *tls, [&](net::HttpRequest rq, const net::Peer& peer, net::Respond respond) {
        const auto at = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
        unsigned status;
        size_t index;
        {
            std::lock_guard lock(mutex);
            index = ++n;
            status = answers[std::min(index, answers.size()) - 1];
            char name[32];
            std::snprintf(name, sizeof name, "/%06zu.xml", index);
            std::ofstream(out + name, std::ios::binary) << rq.body;
            nlohmann::json line{{"n", index},           {"at_ms", at},
                                {"method", rq.method},  {"target", rq.target},
                                {"message_id", rq.header("Ketenhub-Message-Id")}, {"type", rq.header("Ketenhub-Message-Type")},
                                {"content_type", rq.content_type}, {"client", peer.certificate.subject},
                                {"status", status}};
            log << line.dump() << "\n" << std::flush;
        }
        net::HttpResponse r;
        r.status = status;
        r.body = status < 300 ? nlohmann::json{{"receipt", "endpoint-" + std::to_string(index)}}.dump()
                              : nlohmann::json{{"error", "answer " + std::to_string(status) + " as configured"}}.dump();
        if (retry_after >= 0 && (status == 429 || status == 503)) r.headers.emplace_back("Retry-After", std::to_string(retry_after));
        respond(std::move(r));
    });
    if (auto st = server.start(); !st) {
        std::cerr << st.error().message << "\n";
        return 2;
    }
    if (!port_file.empty()) {
        std::ofstream(port_file + ".tmp") << server.port() << "\n";
        std::rename((port_file + ".tmp").c_str(), port_file.c_str());
    }
    std::cout << "listening on 127.0.0.1:" << server.port() << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    server.drain(std::chrono::seconds(2));
    return 0;
}
