// ketenhub-loadgen: an HTTPS load generator with mutual TLS for the hub's
// ingest endpoint (issue 5, docs/performance.md).
//
//   closed loop  every connection sends its next request as soon as the answer
//                to the previous one is in: the maximum sustained throughput.
//   open loop    a fixed total rate, scheduled independently of the answers; a
//                request's latency counts from when it was *due*, so a stalled
//                server cannot hide its stall (no coordinated omission).
//   handshakes   full mutual-TLS handshakes and nothing else: handshakes/s.
//   idle         opens and holds N mTLS connections (memory per connection).
//
// Every request is a new document: the identifiers the partners key documents
// and records by (COA berichtId, IOM messageId, DT&V berichtkenmerk, VWN
// regelId, MbT exportId) are rewritten per request, and the persons' (V-nummer,
// partner numbers, family name) per synthetic person (see render()). Traffic goes to loopback
// addresses only, and every loop is bounded by --duration or --requests.
// One JSON line of results goes to stdout; progress goes to stderr.
#include "net/peer_key_decoding.hpp"
#include "net/verified_certificates.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <nlohmann/json.hpp>
#include <openssl/ssl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using asio::awaitable;
using asio::use_awaitable;

namespace {

[[noreturn]] void die(const std::string& m) {
    std::fprintf(stderr, "ketenhub-loadgen: %s\n", m.c_str());
    std::exit(2);
}

void usage() {
    std::fprintf(stdout,
R"(usage: ketenhub-loadgen --url https://127.0.0.1:PORT/v1/messages --ca CA.pem
                        (--cert C.pem --key K.pem | --cert-dir DIR) [options]
  --mode closed|open|handshakes|idle   (default closed)
  --connections N        concurrent connections (default 16)
  --threads T            I/O threads of the load generator (default 2)
  --rate R               open loop: total requests/s, scheduled regardless of answers
  --duration S           measured seconds (after --warmup)
  --requests N           stop after N measured requests instead (closed/open/handshakes)
  --warmup S             seconds of traffic before measuring (default 0)
  --keepalive            reuse connections (default)
  --fresh-connections    full TCP + mTLS handshake for every request (Connection: close)
  --samples [P=]DIR      sample documents (*.xml) of partner P; repeatable. P defaults to
                         the directory after adapters/ or partners/ in the path. Only
                         documents with an id to renumber are used (<berichtId>,
                         <messageId>, <berichtkenmerk>, @regelId, @exportId); it is
                         rewritten per request, keeping its format, so every document
                         and record is new. Next to a contract (DIR/../../inbound.xsd)
                         only documents whose root element that schema declares are sent.
                         Connections are spread over the partners, each with its own
                         client certificate.
  --all-samples          send every sample, inbound or not
  --quiet                no notes about skipped samples on stderr
  --cert-dir DIR         client certificate per partner: DIR/P.pem and DIR/P-key.pem
  --pad-to BYTES         pad each document to about BYTES with an XML comment
  --persons N            spread the documents over N synthetic persons (V-nummer, COA
                         number, IOM case number, VWN client number, MbT dossier number
                         and family name rewritten; each record of a batch its own
                         person; default 100000; 0 keeps the samples' own persons)
  --first-request N      number this run's requests from N (default 0): the ids and
                         persons of a run that follows another on the same store
  --idle-connections N   mode idle: open N connections, send one request on each
                         (if samples are given), hold them for --duration S
  --expect-status CODE   exit 1 unless every answer had this status (smoke tests)
  --timeout-ms MS        per-request timeout (default 30000)
  --openssl-key-decoders read the hub's certificate key through OpenSSL 3.0's provider
                         decoders, as OpenSSL does by default (slower: by default the load
                         generator reads EC keys with OpenSSL's built-in code, see
                         hub/net/peer_key_decoding.hpp, so that it takes less of the CPU
                         it shares with the server it measures)
Prints one JSON line with the results on stdout.
)");
}

// ---------------------------------------------------------------- options

struct SampleDir {
    std::string partner;
    std::string dir;
};

struct Options {
    std::string host, port, target;
    std::string ca, cert, key, cert_dir;
    std::string mode = "closed";
    unsigned connections = 16;
    unsigned threads = 2;
    double rate = 0;
    double duration = 0;
    uint64_t requests = 0;
    double warmup = 0;
    bool keepalive = true;
    std::vector<SampleDir> samples;
    size_t pad_to = 0;
    // Distinct persons the documents are spread over (0: the samples' own
    // persons, every document about the same few people).
    uint64_t persons = 100000;
    uint64_t first_request = 0;  // requests are numbered from here (ids and persons derive from the number)
    unsigned idle_connections = 0;
    int expect_status = 0;
    unsigned timeout_ms = 30000;
    bool all_samples = false;
    bool quiet = false;
    bool openssl_key_decoders = false;
};

Options parse(int argc, char** argv) {
    Options o;
    std::string url;
    auto need = [&](int& i) -> std::string {
        if (i + 1 >= argc) die(std::string("missing value for ") + argv[i]);
        return argv[++i];
    };
    // A number, or a message naming the option and what was given.
    auto number = [&](int& i) -> double {
        const std::string option = argv[i], v = need(i);
        size_t used = 0;
        double n = 0;
        try {
            n = std::stod(v, &used);
        } catch (const std::exception&) {
        }
        if (used == 0 || used != v.size() || n < 0) die(option + ": '" + v + "' is not a non-negative number");
        return n;
    };
    // A whole number, or a message naming the option and what was given.
    auto count = [&](int& i) -> uint64_t {
        const std::string option = argv[i], v = need(i);
        size_t used = 0;
        uint64_t n = 0;
        try {
            if (!v.empty() && std::isdigit(static_cast<unsigned char>(v[0]))) n = std::stoull(v, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != v.size()) die(option + ": '" + v + "' is not a whole number");
        return n;
    };
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") usage(), std::exit(0);
        else if (a == "--url") url = need(i);
        else if (a == "--ca") o.ca = need(i);
        else if (a == "--cert") o.cert = need(i);
        else if (a == "--key") o.key = need(i);
        else if (a == "--cert-dir") o.cert_dir = need(i);
        else if (a == "--mode") o.mode = need(i);
        else if (a == "--connections") o.connections = count(i);
        else if (a == "--threads") o.threads = count(i);
        else if (a == "--rate") o.rate = number(i);
        else if (a == "--duration") o.duration = number(i);
        else if (a == "--requests") o.requests = count(i);
        else if (a == "--warmup") o.warmup = number(i);
        else if (a == "--keepalive") o.keepalive = true;
        else if (a == "--fresh-connections") o.keepalive = false;
        else if (a == "--handshakes-only") o.mode = "handshakes";
        else if (a == "--pad-to") o.pad_to = count(i);
        else if (a == "--persons") o.persons = count(i);
        else if (a == "--first-request") o.first_request = count(i);
        else if (a == "--idle-connections") o.idle_connections = count(i), o.mode = "idle";
        else if (a == "--expect-status") o.expect_status = count(i);
        else if (a == "--timeout-ms") o.timeout_ms = count(i);
        else if (a == "--all-samples") o.all_samples = true;
        else if (a == "--quiet") o.quiet = true;
        else if (a == "--openssl-key-decoders") o.openssl_key_decoders = true;
        else if (a == "--samples") {
            std::string v = need(i);
            SampleDir s;
            if (auto eq = v.find('='); eq != std::string::npos && eq < v.find('/')) {
                s.partner = v.substr(0, eq);
                s.dir = v.substr(eq + 1);
            } else {
                s.dir = v;
                fs::path p = fs::absolute(v).lexically_normal();
                std::vector<std::string> parts;
                for (const auto& c : p) parts.push_back(c.string());
                for (size_t k = 0; k + 1 < parts.size(); ++k)
                    if (parts[k] == "adapters" || parts[k] == "partners") s.partner = parts[k + 1];
                if (s.partner.empty()) s.partner = "default";
            }
            o.samples.push_back(s);
        } else die("unknown option " + a + " (see --help)");
    }
    // https://HOST:PORT/PATH, loopback only.
    const std::string scheme = "https://";
    if (url.rfind(scheme, 0) != 0) die("--url must start with https://");
    std::string rest = url.substr(scheme.size());
    auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    o.target = slash == std::string::npos ? "/" : rest.substr(slash);
    if (!authority.empty() && authority[0] == '[') {
        auto close = authority.find(']');
        if (close == std::string::npos) die("bad --url");
        o.host = authority.substr(1, close - 1);
        o.port = authority.size() > close + 2 ? authority.substr(close + 2) : "443";
    } else {
        auto colon = authority.rfind(':');
        o.host = authority.substr(0, colon);
        o.port = colon == std::string::npos ? "443" : authority.substr(colon + 1);
    }
    if (o.host == "localhost") o.host = "127.0.0.1";
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(o.host, ec);
    if (ec || !addr.is_loopback()) die("--url must name a loopback address (127.0.0.0/8 or ::1), not '" + o.host + "'");
    if (o.ca.empty()) die("--ca is required");
    if (o.cert_dir.empty() && (o.cert.empty() || o.key.empty())) die("--cert and --key (or --cert-dir) are required");
    if (o.mode != "closed" && o.mode != "open" && o.mode != "handshakes" && o.mode != "idle")
        die("--mode must be closed, open, handshakes or idle");
    if (o.mode == "open" && o.rate <= 0) die("--mode open needs --rate R");
    if (o.duration <= 0 && o.requests == 0) die("give --duration S or --requests N (loops are bounded)");
    if (o.mode == "idle" && o.duration <= 0) die("--idle-connections needs --duration S (how long to hold them)");
    if (o.duration > 3600) die("--duration is capped at 3600 s");
    if (o.connections == 0 || o.threads == 0) die("--connections and --threads must be positive");
    if ((o.mode == "closed" || o.mode == "open") && o.samples.empty()) die("--samples DIR is required for mode " + o.mode);
    return o;
}

// ---------------------------------------------------------------- documents

// A sample document and the places in it that are rewritten per request
// (see Slot). The text between slots is sent as it is.
struct Slot {
    enum Kind {
        MessageUuid,    // COA <berichtId>: a fresh UUID per request
        MessageToken,   // IOM <messageId>: a fresh token of letters, digits and dashes
        UniqueDigits,   // DT&V <berichtkenmerk>, VWN @regelId, MbT @exportId: the digits renumbered per request and record
        PersonVNumber,  // <vNummer>, <vNumber>, MbT @vnr: 10 digits of the synthetic person
        PersonCoa,      // COA <coaNummer>: 8 digits
        PersonCase,     // IOM <caseNo>: NL-AVRR-yyyy-nnnnn
        PersonDigits,   // VWN <clientnummer>, MbT dossier @nr: the digits renumbered per person
        PersonName,     // <naam>, <familyName>, <achternaam>, MbT @naam: a suffix on the family name
    };
    size_t at = 0, length = 0;
    Kind kind = MessageUuid;
    uint32_t record = 0;  // which record of a batch (VWN Contactmoment, MbT dossier) the slot is in
    std::string original;
};

struct Template {
    std::string partner, file, text;
    std::vector<Slot> slots;  // in document order
    uint64_t index = 0;       // position among the loaded templates
};

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool is_uuid_at(const std::string& s, size_t pos) {
    if (pos + 36 > s.size()) return false;
    for (size_t i = 0; i < 36; ++i) {
        char c = s[pos + i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

// Global element names of an XSD (children of xs:schema): the document types
// a partner may send when it is the contract's inbound schema.
std::vector<std::string> global_elements(const std::string& xsd) {
    std::vector<std::string> out;
    int depth = 0;
    for (size_t i = xsd.find('<'); i != std::string::npos; i = xsd.find('<', i + 1)) {
        if (xsd.compare(i, 4, "<!--") == 0) {
            i = xsd.find("-->", i);
            if (i == std::string::npos) break;
            continue;
        }
        if (xsd.compare(i, 2, "<?") == 0 || xsd.compare(i, 2, "<!") == 0) continue;
        size_t end = xsd.find('>', i);
        if (end == std::string::npos) break;
        std::string tag = xsd.substr(i + 1, end - i - 1);
        if (!tag.empty() && tag[0] == '/') {
            --depth;
            continue;
        }
        bool self_closing = !tag.empty() && tag.back() == '/';
        std::string name = tag.substr(0, tag.find_first_of(" \t\r\n/"));
        if (depth == 1 && (name == "element" || (name.size() > 8 && name.compare(name.size() - 8, 8, ":element") == 0))) {
            auto n = tag.find("name=\"");
            if (n != std::string::npos) out.push_back(tag.substr(n + 6, tag.find('"', n + 6) - n - 6));
        }
        if (!self_closing) ++depth;
        i = end;
    }
    return out;
}

std::string root_element(const std::string& text) {
    for (size_t i = text.find('<'); i != std::string::npos; i = text.find('<', i + 1)) {
        if (text.compare(i, 2, "<?") == 0 || text.compare(i, 2, "<!") == 0) continue;
        std::string name = text.substr(i + 1, text.find_first_of(" \t\r\n/>", i + 1) - i - 1);
        auto colon = name.find(':');
        return colon == std::string::npos ? name : name.substr(colon + 1);
    }
    return {};
}

bool token_chars(const std::string& v) {
    return std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isalnum(c) || c == '-'; });
}

// Finds the slots: element text and attribute values whose names the
// partners' contracts use for message, record and person identifiers. A tag
// that starts a record of a batch (an element with @regelId, an MbT
// <dossier>) moves later slots to the next record.
std::vector<Slot> find_slots(const std::string& text) {
    std::vector<Slot> slots;
    int record = -1;
    auto add = [&](size_t at, size_t length, Slot::Kind kind) {
        slots.push_back(Slot{at, length, kind, static_cast<uint32_t>(std::max(record, 0)), text.substr(at, length)});
    };
    for (size_t i = text.find('<'); i != std::string::npos; i = text.find('<', i + 1)) {
        if (text.compare(i, 4, "<!--") == 0) {
            i = text.find("-->", i);
            if (i == std::string::npos) break;
            continue;
        }
        if (text.compare(i, 2, "<?") == 0 || text.compare(i, 2, "</") == 0 || text.compare(i, 2, "<!") == 0) continue;
        const size_t end = text.find('>', i);
        if (end == std::string::npos) break;
        size_t name_end = text.find_first_of(" \t\r\n/>", i + 1);
        std::string name = text.substr(i + 1, name_end - i - 1);
        if (auto colon = name.find(':'); colon != std::string::npos) name = name.substr(colon + 1);
        // Attributes.
        bool starts_record = name == "dossier";
        std::vector<std::pair<std::string, std::pair<size_t, size_t>>> attributes;
        for (size_t a = name_end; a < end;) {
            const size_t eq = text.find('=', a);
            if (eq == std::string::npos || eq > end) break;
            const size_t q = text.find_first_of("\"'", eq);
            if (q == std::string::npos || q > end) break;
            const size_t close = text.find(text[q], q + 1);
            if (close == std::string::npos || close > end) break;
            size_t n0 = text.find_first_not_of(" \t\r\n", a);
            std::string attr = text.substr(n0, text.find_first_of(" \t\r\n=", n0) - n0);
            attributes.push_back({attr, {q + 1, close - q - 1}});
            if (attr == "regelId") starts_record = true;
            a = close + 1;
        }
        if (starts_record) ++record;
        for (const auto& [attr, where] : attributes) {
            const auto [at, length] = where;
            if (attr == "regelId" || attr == "exportId") add(at, length, Slot::UniqueDigits);
            else if (attr == "vnr") add(at, length, Slot::PersonVNumber);
            else if (attr == "naam" && name == "persoon") add(at, length, Slot::PersonName);
            else if (attr == "nr" && name == "dossier") add(at, length, Slot::PersonDigits);
        }
        // Element text (simple content only).
        if (text[end - 1] == '/') continue;
        const size_t v = end + 1, v_end = text.find('<', v);
        if (v_end == std::string::npos || text.compare(v_end, 2, "</") != 0) continue;
        const std::string value = text.substr(v, v_end - v);
        if (name == "berichtId" || name == "messageId") {
            if (value.size() == 36 && is_uuid_at(text, v)) add(v, 36, Slot::MessageUuid);
            else if (value.size() >= 8 && value.size() <= 40 && token_chars(value)) add(v, value.size(), Slot::MessageToken);
        } else if (name == "berichtkenmerk") {
            add(v, value.size(), Slot::UniqueDigits);
        } else if (name == "vNummer" || name == "vNumber") {
            add(v, value.size(), Slot::PersonVNumber);
        } else if (name == "coaNummer") {
            add(v, value.size(), Slot::PersonCoa);
        } else if (name == "caseNo") {
            add(v, value.size(), Slot::PersonCase);
        } else if (name == "clientnummer") {
            add(v, value.size(), Slot::PersonDigits);
        } else if (name == "naam" || name == "familyName" || name == "achternaam") {
            add(v, value.size(), Slot::PersonName);
        }
        i = end;
    }
    return slots;
}

// A sample can be sent many times only if something in it makes each copy a
// new document: a message id, or the record ids of a batch.
bool has_unique_key(const std::vector<Slot>& slots) {
    return std::any_of(slots.begin(), slots.end(), [](const Slot& s) {
        return s.kind == Slot::MessageUuid || s.kind == Slot::MessageToken || s.kind == Slot::UniqueDigits;
    });
}

std::optional<Template> make_template(const std::string& partner, const fs::path& file, size_t pad_to) {
    std::string text = read_file(file);
    std::string pad = "\n<!-- ketenhub-loadgen padding ";
    if (pad_to > text.size() + pad.size() + 4) {
        // A comment after the XML declaration: schema validation ignores it,
        // the parser and the store see the bytes.
        size_t insert = 0;
        if (text.rfind("<?xml", 0) == 0) insert = text.find("?>") + 2;
        size_t fill = pad_to - text.size() - pad.size() - 4;
        for (size_t i = 0; i < fill; ++i) pad += static_cast<char>('a' + i % 26);
        pad += " -->";
        text.insert(insert, pad);
    }
    auto slots = find_slots(text);
    if (!has_unique_key(slots)) return std::nullopt;
    return Template{partner, file.filename().string(), std::move(text), std::move(slots)};
}

// The digits of `original` replaced, right to left, by those of `n` (the
// other characters kept): "DTV-20100625-00501" stays DTV-dddddddd-ddddd.
// With `letters`, what the digits cannot hold goes into the last run of
// capital letters that is not the prefix (VWN-AM-007102: "AM"), so six
// digits do not make persons a million apart share a client number.
std::string renumber(const std::string& original, uint64_t n, bool letters = false) {
    std::string out = original;
    size_t i = out.size();
    for (; i-- > 0;)
        if (std::isdigit(static_cast<unsigned char>(out[i]))) {
            out[i] = static_cast<char>('0' + n % 10);
            n /= 10;
        } else if (std::isupper(static_cast<unsigned char>(out[i]))) {
            break;
        }
    if (!letters || i == std::string::npos || i >= out.size()) return out;
    const size_t run_end = i + 1;
    size_t run_start = run_end;
    while (run_start > 0 && std::isupper(static_cast<unsigned char>(out[run_start - 1]))) --run_start;
    if (run_start == 0) return out;  // the prefix ("MBT-"): never renamed
    for (size_t j = run_end; j-- > run_start;) {
        out[j] = static_cast<char>('A' + n % 26);
        n /= 26;
    }
    return out;
}

// Unique per run (random prefix) and per request (counter).
struct IdSource {
    uint64_t run;
    std::atomic<uint64_t> counter{0};
    IdSource() {
        std::random_device rd;
        run = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    }
    uint64_t take() { return counter.fetch_add(1); }
    // The message id of request n.
    std::string message_id(uint64_t n, bool uuid) const {
        char buf[40];
        if (!uuid) {
            std::snprintf(buf, sizeof buf, "LG%08x-%012llx", static_cast<unsigned>(run >> 32),
                          static_cast<unsigned long long>(n & 0xffffffffffffULL));
            return buf;
        }
        std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(run >> 32),
                      static_cast<unsigned>((run >> 16) & 0xffff), static_cast<unsigned>(run & 0xfff),
                      static_cast<unsigned>((n >> 48) & 0xfff), static_cast<unsigned long long>(n & 0xffffffffffffULL));
        return buf;
    }
};

// One request's document: message and record ids unique to the request,
// and (persons > 0) every record moved to a synthetic person: V-nummer,
// partner numbers and family name become those of person `person_base +
// record`, so identity resolution and routing see many people with a few
// documents each (as in the chain), not every document piling onto the
// samples' dozen persons. Formats (digits, patterns) are kept.
std::string render(const Template& t, const IdSource& ids, uint64_t request, uint64_t persons, uint64_t person_base) {
    std::string out;
    out.reserve(t.text.size() + 64);
    size_t from = 0;
    // Request n, record r: n * 64 + r, offset per run so that two runs on
    // one store do not collide.
    const uint64_t unique_base = (ids.run % 100000) * 100000000ULL + request * 64;
    std::string message_id;  // one per document, even where the id appears twice
    for (const Slot& s : t.slots) {
        out.append(t.text, from, s.at - from);
        from = s.at + s.length;
        const uint64_t k = person_base * 8 + s.record;
        char buf[48];
        switch (s.kind) {
        case Slot::MessageUuid:
        case Slot::MessageToken:
            if (message_id.empty()) message_id = ids.message_id(request, s.kind == Slot::MessageUuid);
            out += message_id;
            continue;
        case Slot::UniqueDigits: out += renumber(s.original, unique_base + s.record); continue;
        default: break;
        }
        if (!persons) {
            out += s.original;
            continue;
        }
        switch (s.kind) {
        case Slot::PersonVNumber:
            std::snprintf(buf, sizeof buf, "%010llu", 3100000000ULL + k % 100000000ULL);
            out += buf;
            break;
        case Slot::PersonCoa:
            std::snprintf(buf, sizeof buf, "%08llu", 40000000ULL + k % 60000000ULL);
            out += buf;
            break;
        case Slot::PersonCase:
            std::snprintf(buf, sizeof buf, "NL-AVRR-%04llu-%05llu", static_cast<unsigned long long>(1000 + (k / 100000) % 9000),
                          static_cast<unsigned long long>(k % 100000));
            out += buf;
            break;
        case Slot::PersonDigits: out += renumber(s.original, k, true); break;
        case Slot::PersonName: {
            // "Beridze, Giorgi" (COA): the suffix goes on the family name
            // before the comma; otherwise at the end ("Bekim Ademi").
            std::string suffix;
            for (uint64_t n = k, i = 0; i < 5; ++i, n /= 26) suffix += static_cast<char>('a' + n % 26);
            std::string name = s.original;
            const size_t comma = name.find(',');
            name.insert(comma == std::string::npos ? name.size() : comma, suffix);
            out += name;
            break;
        }
        default: out += s.original;
        }
    }
    out.append(t.text, from, std::string::npos);
    return out;
}

// ---------------------------------------------------------------- results

struct Stats {
    std::vector<uint32_t> latency_us;  // requests due inside the measured window
    uint64_t sent = 0, completed = 0, in_window_ok = 0, in_window = 0;
    std::map<int, uint64_t> status;
    uint64_t errors = 0, handshakes = 0, handshake_errors = 0, bytes_sent = 0;
    std::map<std::string, uint64_t> error_kinds;
    void error(const std::string& what) {
        ++errors;
        if (error_kinds.size() < 20 || error_kinds.count(what)) ++error_kinds[what];
    }
    void merge(const Stats& o) {
        latency_us.insert(latency_us.end(), o.latency_us.begin(), o.latency_us.end());
        sent += o.sent, completed += o.completed, in_window_ok += o.in_window_ok, in_window += o.in_window;
        for (auto& [k, v] : o.status) status[k] += v;
        errors += o.errors, handshakes += o.handshakes, handshake_errors += o.handshake_errors, bytes_sent += o.bytes_sent;
        for (auto& [k, v] : o.error_kinds) error_kinds[k] += v;
    }
};

// ---------------------------------------------------------------- the run

struct Identity {
    std::string partner;
    // The server's chain, verified in full on the first handshake and then
    // recognised (hub/net/verified_certificates.hpp): the load generator
    // shares the two cores with the server it measures, and checking the
    // same CA signature on every handshake was 15% of its CPU.
    std::unique_ptr<ketenhub::net::VerifiedCertificates> verified = std::make_unique<ketenhub::net::VerifiedCertificates>();
    std::unique_ptr<ssl::context> ctx;
    std::vector<const Template*> docs;
};

struct Shared {
    Options opt;
    tcp::endpoint endpoint;
    std::vector<Identity> identities;
    IdSource ids;
    Clock::time_point start, measure_start, measure_end;
    std::atomic<uint64_t> measured_started{0};  // for --requests
    std::atomic<bool> stop{false};
    std::atomic<unsigned> idle_established{0};

    bool in_window(Clock::time_point t) const { return t >= measure_start && t < measure_end; }
    // Claims the right to start one more request; false once the run is over.
    bool claim(Clock::time_point now) {
        if (stop.load(std::memory_order_relaxed)) return false;
        if (now >= measure_end) return stop = true, false;
        if (opt.requests && now >= measure_start) {
            if (measured_started.fetch_add(1) >= opt.requests) return stop = true, false;
        }
        return true;
    }
};

struct Worker;

struct Conn {
    Worker& w;
    Identity& id;
    std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
    asio::steady_timer wake;
    size_t doc = 0;
    bool idle = false;
    Conn(Worker& worker, Identity& identity, asio::io_context& ioc, size_t first_doc)
        : w(worker), id(identity), wake(ioc), doc(first_doc) {}
};

struct Worker {
    Shared& s;
    asio::io_context ioc{1};
    Stats stats;
    std::deque<Clock::time_point> due;  // open loop: requests due and not yet sent
    std::vector<std::unique_ptr<Conn>> conns;
    unsigned live = 0;
    explicit Worker(Shared& sh) : s(sh) {}

    std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(s.opt.timeout_ms); }

    awaitable<void> connect(Conn& c) {
        c.stream.emplace(ioc, *c.id.ctx);
        auto& tcp_stream = beast::get_lowest_layer(*c.stream);
        tcp_stream.expires_after(timeout());
        co_await tcp_stream.async_connect(s.endpoint, use_awaitable);
        tcp_stream.socket().set_option(tcp::no_delay(true));
        try {
            co_await c.stream->async_handshake(ssl::stream_base::client, use_awaitable);
        } catch (...) {
            ++stats.handshake_errors;
            throw;
        }
        ++stats.handshakes;
    }

    void disconnect(Conn& c) {
        if (!c.stream) return;
        beast::error_code ec;
        beast::get_lowest_layer(*c.stream).socket().shutdown(tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(*c.stream).close();
        c.stream.reset();
    }

    // One POST; returns the status.
    awaitable<int> post(Conn& c) {
        const Template& t = *c.id.docs[c.doc++ % c.id.docs.size()];
        http::request<http::string_body> rq{http::verb::post, s.opt.target, 11};
        rq.set(http::field::host, s.opt.host);
        rq.set(http::field::content_type, "application/xml");
        rq.set(http::field::user_agent, "ketenhub-loadgen");
        const uint64_t n = s.ids.take();
        // Each template its own range of persons, so one synthetic person is
        // never described with two samples' different birth dates.
        rq.body() = render(t, s.ids, n, s.opt.persons, (s.opt.persons ? n % s.opt.persons : 0) * 64 + t.index);
        rq.keep_alive(s.opt.keepalive);
        rq.prepare_payload();
        stats.bytes_sent += rq.body().size();
        auto& tcp_stream = beast::get_lowest_layer(*c.stream);
        tcp_stream.expires_after(timeout());
        co_await http::async_write(*c.stream, rq, use_awaitable);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        co_await http::async_read(*c.stream, buffer, res, use_awaitable);
        if (!res.keep_alive() && s.opt.keepalive) disconnect(c);
        co_return static_cast<int>(res.result_int());
    }

    // One exchange (with its own connection when not keeping alive), timed
    // from `due`.
    awaitable<void> exchange(Conn& c, Clock::time_point due_at) {
        ++stats.sent;
        int status = 0;
        std::string failure;
        try {
            if (!c.stream) co_await connect(c);
            status = co_await post(c);
        } catch (const boost::system::system_error& e) {
            failure = e.code().message();
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (!s.opt.keepalive || !failure.empty()) disconnect(c);
        auto now = Clock::now();
        ++stats.completed;
        if (!failure.empty()) {
            stats.error(failure);
        } else {
            ++stats.status[status];
        }
        if (s.in_window(due_at)) {
            ++stats.in_window;
            auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - due_at).count();
            stats.latency_us.push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
            if (failure.empty() && status >= 200 && status < 300 && now < s.measure_end) ++stats.in_window_ok;
        }
    }

    awaitable<void> closed_loop(Conn& c) {
        while (s.claim(Clock::now())) co_await exchange(c, Clock::now());
        disconnect(c);
        --live;
    }

    awaitable<void> open_loop(Conn& c) {
        for (;;) {
            if (due.empty()) {
                if (s.stop) break;
                c.idle = true;
                c.wake.expires_at(Clock::time_point::max());
                beast::error_code ec;
                co_await c.wake.async_wait(asio::redirect_error(use_awaitable, ec));
                c.idle = false;
                continue;
            }
            auto t = due.front();
            due.pop_front();
            co_await exchange(c, t);
        }
        disconnect(c);
        --live;
    }

    // Open loop: this worker's share of the rate, on a 1 ms tick; a request
    // is due at its scheduled time whether or not a connection is free.
    awaitable<void> scheduler(double rate) {
        asio::steady_timer tick(ioc);
        const auto interval = std::chrono::duration<double>(1.0 / rate);
        uint64_t n = 0;
        auto next_due = [&] { return s.start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(n)); };
        for (;;) {
            auto now = Clock::now();
            while (next_due() <= now) {
                if (!s.claim(next_due())) goto done;
                due.push_back(next_due());
                ++n;
            }
            size_t to_wake = due.size();
            for (auto& c : conns) {
                if (to_wake == 0) break;
                if (c->idle) c->idle = false, c->wake.cancel(), --to_wake;
            }
            tick.expires_at(std::min(next_due(), now + std::chrono::milliseconds(1)));
            co_await tick.async_wait(use_awaitable);
        }
    done:
        s.stop = true;
        for (auto& c : conns) c->wake.cancel();
    }

    awaitable<void> handshake_loop(Conn& c) {
        while (s.claim(Clock::now())) {
            auto t0 = Clock::now();
            ++stats.sent;
            try {
                co_await connect(c);
                auto now = Clock::now();
                ++stats.completed;
                ++stats.status[0];
                if (s.in_window(t0)) {
                    ++stats.in_window;
                    if (now < s.measure_end) ++stats.in_window_ok;
                    stats.latency_us.push_back(static_cast<uint32_t>(
                        std::chrono::duration_cast<std::chrono::microseconds>(now - t0).count()));
                }
            } catch (const boost::system::system_error& e) {
                ++stats.completed;
                stats.error(e.code().message());
            }
            disconnect(c);
        }
        --live;
    }

    awaitable<void> idle_hold(Conn& c) {
        try {
            co_await connect(c);
            if (!c.id.docs.empty()) {
                ++stats.sent;
                int status = co_await post(c);
                ++stats.completed;
                ++stats.status[status];
            }
            s.idle_established++;
            asio::steady_timer hold(ioc);
            hold.expires_at(s.measure_end);
            co_await hold.async_wait(use_awaitable);
        } catch (const boost::system::system_error& e) {
            stats.error(e.code().message());
        }
        disconnect(c);
        --live;
    }
};

std::unique_ptr<ssl::context> client_context(const Options& o, const std::string& cert, const std::string& key) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    // Every connection makes a full handshake: no session resumption.
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
    // Send the client certificate file as it is (a partner's certificate and
    // any intermediates), not the CA completed from the verify store: the
    // server holds the CA already, and completing it is a verification of
    // our own certificate per handshake.
    SSL_CTX_set_mode(native, SSL_MODE_NO_AUTO_CHAIN);
    ctx->load_verify_file(o.ca);
    ctx->set_verify_mode(ssl::verify_peer);
    ctx->use_certificate_chain_file(cert);
    ctx->use_private_key_file(key, ssl::context::pem);
    return ctx;
}

double pct(const std::vector<uint32_t>& sorted, double p) {
    if (sorted.empty()) return 0;
    size_t i = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    i = std::clamp<size_t>(i, 1, sorted.size()) - 1;
    return sorted[i] / 1000.0;
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

int main(int argc, char** argv) {
    Shared s;
    s.opt = parse(argc, argv);
    Options& o = s.opt;
    s.ids.counter = o.first_request;
    std::signal(SIGPIPE, SIG_IGN);

    // Documents and identities.
    std::vector<std::unique_ptr<Template>> templates;
    std::map<std::string, std::vector<const Template*>> by_partner;
    nlohmann::json doc_counts = nlohmann::json::object();
    for (const auto& sd : o.samples) {
        if (!fs::is_directory(sd.dir)) die("--samples " + sd.dir + ": not a directory");
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(sd.dir))
            if (e.path().extension() == ".xml") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        // A partner contract's samples hold both directions: send only what
        // the partner sends (the root elements of contract/inbound.xsd).
        std::vector<std::string> inbound;
        fs::path xsd = fs::path(sd.dir) / ".." / ".." / "inbound.xsd";
        if (!o.all_samples && fs::exists(xsd)) inbound = global_elements(read_file(xsd));
        for (const auto& f : files) {
            if (!inbound.empty()) {
                std::string root = root_element(read_file(f));
                if (std::find(inbound.begin(), inbound.end(), root) == inbound.end()) {
                    if (!o.quiet)
                    std::fprintf(stderr, "ketenhub-loadgen: %s: <%s> is not an inbound document of %s; skipped\n",
                                 f.string().c_str(), root.c_str(), xsd.lexically_normal().string().c_str());
                    continue;
                }
            }
            auto t = make_template(sd.partner, f, o.pad_to);
            if (!t) {
                if (!o.quiet)
                std::fprintf(stderr, "ketenhub-loadgen: %s: no message or record id to make unique; skipped\n",
                             f.string().c_str());
                continue;
            }
            t->index = templates.size();
            templates.push_back(std::make_unique<Template>(std::move(*t)));
            by_partner[sd.partner].push_back(templates.back().get());
        }
    }
    if ((o.mode == "closed" || o.mode == "open") && by_partner.empty()) die("no usable sample documents");
    std::vector<std::string> partners;
    for (auto& [p, docs] : by_partner) partners.push_back(p), doc_counts[p] = docs.size();
    if (partners.empty()) partners.push_back("default");
    size_t doc_bytes = 0;
    for (auto& t : templates) doc_bytes += t->text.size();
    if (!o.openssl_key_decoders)
        if (auto why = ketenhub::net::read_ec_certificate_keys_with_builtin_code(); !why.empty())
            std::fprintf(stderr, "ketenhub-loadgen: EC keys read by OpenSSL's decoders (%s)\n", why.c_str());
    try {
        for (const auto& p : partners) {
            std::string cert = o.cert, key = o.key;
            if (!o.cert_dir.empty() && fs::exists(fs::path(o.cert_dir) / (p + ".pem"))) {
                cert = (fs::path(o.cert_dir) / (p + ".pem")).string();
                key = (fs::path(o.cert_dir) / (p + "-key.pem")).string();
            }
            if (cert.empty()) die("no client certificate for partner " + p + " (give --cert/--key or --cert-dir)");
            Identity id;
            id.partner = p;
            id.ctx = client_context(o, cert, key);
            ketenhub::net::verify_chains_through(id.ctx->native_handle(), *id.verified);
            if (by_partner.count(p)) id.docs = by_partner[p];
            s.identities.push_back(std::move(id));
        }
    } catch (const std::exception& e) {
        die(std::string("TLS setup: ") + e.what());
    }
    s.endpoint = tcp::endpoint(asio::ip::make_address(o.host), static_cast<unsigned short>(std::stoul(o.port)));

    // Workers, each with its own io_context and its share of the connections.
    const unsigned nconn = o.mode == "idle" ? o.idle_connections : o.connections;
    const unsigned nthreads = std::min(o.threads, std::max(1u, nconn));
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned t = 0; t < nthreads; ++t) workers.push_back(std::make_unique<Worker>(s));
    for (unsigned i = 0; i < nconn; ++i) {
        Worker& w = *workers[i % nthreads];
        Identity& id = s.identities[i % s.identities.size()];
        w.conns.push_back(std::make_unique<Conn>(w, id, w.ioc, i / s.identities.size()));
    }

    s.start = Clock::now();
    s.measure_start = s.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
    s.measure_end = o.duration > 0 ? s.measure_start + std::chrono::duration_cast<Clock::duration>(
                                                           std::chrono::duration<double>(o.duration))
                                    : s.measure_start + std::chrono::hours(1);
    for (auto& wp : workers) {
        Worker& w = *wp;
        for (auto& c : w.conns) {
            ++w.live;
            auto fn = o.mode == "closed"       ? &Worker::closed_loop
                      : o.mode == "open"       ? &Worker::open_loop
                      : o.mode == "handshakes" ? &Worker::handshake_loop
                                               : &Worker::idle_hold;
            asio::co_spawn(w.ioc, (w.*fn)(*c), asio::detached);
        }
        if (o.mode == "open") asio::co_spawn(w.ioc, w.scheduler(o.rate / nthreads), asio::detached);
    }
    std::vector<std::thread> threads;
    for (auto& wp : workers) threads.emplace_back([w = wp.get()] { w->ioc.run(); });

    // Progress and the hard end: a run never outlives its window by more than
    // the request timeout plus a margin.
    const auto hard_end = (o.duration > 0 ? s.measure_end : s.start + std::chrono::hours(1)) +
                          std::chrono::milliseconds(o.timeout_ms) + std::chrono::seconds(5);
    bool announced = false;
    for (;;) {
        bool all_done = true;
        for (auto& wp : workers)
            if (!wp->ioc.stopped()) all_done = false;
        if (all_done) break;
        if (o.mode == "idle" && !announced && s.idle_established.load() >= nconn) {
            std::fprintf(stderr, "{\"event\":\"idle_established\",\"connections\":%u}\n", nconn);
            std::fflush(stderr);
            announced = true;
        }
        if (Clock::now() > hard_end) {
            std::fprintf(stderr, "ketenhub-loadgen: requests still in flight at the hard end; stopping\n");
            for (auto& wp : workers) wp->ioc.stop();
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto& t : threads) t.join();
    const auto finished = Clock::now();

    Stats total;
    for (auto& wp : workers) total.merge(wp->stats);
    std::sort(total.latency_us.begin(), total.latency_us.end());
    const double window = std::chrono::duration<double>(std::min(finished, s.measure_end) - s.measure_start).count();
    auto count = [&](int lo, int hi) {
        uint64_t n = 0;
        for (auto& [k, v] : total.status)
            if (k >= lo && k < hi) n += v;
        return n;
    };
    nlohmann::json status = nlohmann::json::object();
    status["200"] = count(200, 201);
    status["202"] = count(202, 203);
    status["2xx_other"] = count(200, 300) - count(200, 201) - count(202, 203);
    status["4xx"] = count(400, 500);
    status["5xx"] = count(500, 600);
    status["errors"] = total.errors;
    nlohmann::json other = nlohmann::json::object();
    for (auto& [k, v] : total.status)
        if (k != 200 && k != 202 && k != 0) other[std::to_string(k)] = v;
    if (!other.empty()) status["by_code"] = other;

    nlohmann::json r;
    r["tool"] = "ketenhub-loadgen";
    r["mode"] = o.mode;
    r["keepalive"] = o.mode == "handshakes" ? false : o.keepalive;
    r["connections"] = nconn;
    r["threads"] = nthreads;
    if (o.mode == "open") r["target_rate"] = o.rate;
    r["warmup_s"] = o.warmup;
    r["window_s"] = round3(window);
    r["documents"] = doc_counts;
    r["doc_bytes_avg"] = templates.empty() ? 0 : doc_bytes / templates.size();
    r["sent"] = total.sent;
    r["completed"] = total.completed;
    r["status"] = status;
    if (!total.error_kinds.empty()) r["error_kinds"] = total.error_kinds;
    r["measured"] = total.in_window;
    r["throughput"] = window > 0 ? round3(total.in_window_ok / window) : 0;
    r["latency_ms"] = {{"p50", round3(pct(total.latency_us, 50))},   {"p90", round3(pct(total.latency_us, 90))},
                       {"p99", round3(pct(total.latency_us, 99))},   {"p99.9", round3(pct(total.latency_us, 99.9))},
                       {"max", round3(total.latency_us.empty() ? 0 : total.latency_us.back() / 1000.0)}};
    r["handshakes"] = total.handshakes;
    r["handshake_errors"] = total.handshake_errors;
    const double elapsed = std::chrono::duration<double>(finished - s.start).count();
    r["handshakes_per_s"] = o.mode == "handshakes" ? r["throughput"].get<double>()
                                                    : (elapsed > 0 ? round3(total.handshakes / elapsed) : 0);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    r["ec_key_reading"] = ketenhub::net::ec_certificate_keys_read_with_builtin_code() ? "builtin" : "openssl_decoders";
    r["cpu_s"] = round3(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    r["elapsed_s"] = round3(elapsed);
    std::cout << r.dump() << std::endl;

    if (o.expect_status) {
        uint64_t good = total.status.count(o.expect_status) ? total.status.at(o.expect_status) : 0;
        if (good != total.completed || total.completed == 0) {
            std::fprintf(stderr, "ketenhub-loadgen: expected every answer to be %d: %llu of %llu were\n", o.expect_status,
                         static_cast<unsigned long long>(good), static_cast<unsigned long long>(total.completed));
            return 1;
        }
    }
    return 0;
}
