#include "cli/adapter_test_command.hpp"

#include "config/config.hpp"
#include "daemon/daemon.hpp"
#include "partners/partner_registry.hpp"
#include "plugin_host/adapter_plugin.hpp"

#include <ketenhub/sdk/dates.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#ifndef KETENHUB_REFERENCE_DIR
#define KETENHUB_REFERENCE_DIR ""
#endif
#ifndef KETENHUB_DEFAULT_ISO3166_JSON
#define KETENHUB_DEFAULT_ISO3166_JSON "/usr/share/iso-codes/json/iso_3166-1.json"
#endif

namespace ketenhub::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kOk = 0;
constexpr int kRejected = 1;
constexpr int kLoadProblem = 2;
constexpr int kUsage = 64;

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: ketenhub adapter test [--plugin FILE.so] [--partner-config PARTNER.xml]\n"
                 "                             --sample DOC.xml [--sample DOC2.xml ...]\n"
                 "                             [--encode MESSAGE.json ...]\n"
                 "                             [--reference-dir DIR] [--iso3166 FILE]\n"
                 "  Loads the adapter as the daemon does, checks the partner file's settings against\n"
                 "  the adapter's describe(), decodes each sample (canonical JSON on stdout) and\n"
                 "  encodes each canonical outbound message (native XML on stdout).\n"
                 "  --plugin overrides the partner file's adapter/@plugin; one of the two is needed.\n"
                 "  Exit: 0 all decoded/encoded, 1 an input was rejected, 2 plugin/partner file/\n"
                 "  reference data/input file cannot be loaded or the adapter failed, 64 usage.\n");
}

struct Input {
    enum Kind { Sample, Message } kind;
    std::string path;
};

struct Options {
    std::string plugin;
    std::string partner_config;
    std::string reference_dir;
    std::string iso3166;
    std::vector<Input> inputs;
};

// "--name VALUE" or "--name=VALUE"; repeated options keep their order.
std::optional<Options> parse(const std::vector<std::string>& all, std::string& error) {
    std::vector<std::string> args = all;
    if (!args.empty() && args[0] == "adapter") args.erase(args.begin());
    if (!args.empty() && args[0] == "test") args.erase(args.begin());
    Options o;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i], value;
        bool has_value = false;
        if (auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_value = true;
        }
        if (name == "--help" || name == "-h") return std::nullopt;
        static const std::vector<std::string> known = {"--plugin", "--partner-config", "--sample", "--encode",
                                                       "--reference-dir", "--iso3166"};
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            error = "unknown argument '" + args[i] + "'";
            return std::nullopt;
        }
        if (!has_value) {
            if (i + 1 >= args.size()) {
                error = name + " needs a value";
                return std::nullopt;
            }
            value = args[++i];
        }
        if (value.empty()) {
            error = name + " needs a value";
            return std::nullopt;
        }
        if (name == "--plugin") o.plugin = value;
        else if (name == "--partner-config") o.partner_config = value;
        else if (name == "--reference-dir") o.reference_dir = value;
        else if (name == "--iso3166") o.iso3166 = value;
        else if (name == "--sample") o.inputs.push_back({Input::Sample, value});
        else o.inputs.push_back({Input::Message, value});
    }
    if (o.plugin.empty() && o.partner_config.empty()) error = "give --plugin, --partner-config, or both";
    else if (o.inputs.empty()) error = "give at least one --sample or --encode";
    if (!error.empty()) return std::nullopt;
    return o;
}

// The reference lists: next to an installed binary (<prefix>/bin/ketenhub ->
// <prefix>/share/ketenhub/reference), else the source tree's config/reference
// this binary was built from.
std::string default_reference_dir() {
    std::vector<fs::path> candidates;
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share/ketenhub/reference");
    if (std::string(KETENHUB_REFERENCE_DIR).size() > 0) candidates.emplace_back(KETENHUB_REFERENCE_DIR);
    for (const auto& c : candidates)
        if (fs::is_directory(c, ec)) return c.lexically_normal().string();
    return {};
}

std::optional<std::string> read_file(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void print_problems(const std::string& file, const std::vector<Problem>& problems) {
    std::fputs(config::format_problems(file, problems).c_str(), stderr);
}

// Prints an error message that does not end in a newline with one.
void print_error(const std::string& message) {
    std::fputs(message.c_str(), stderr);
    if (message.empty() || message.back() != '\n') std::fputc('\n', stderr);
}

bool listed(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// Things the hub would take but that are almost certainly adapter bugs.
void lint(const std::string& file, const partners::Partner& partner, const sdk::DecodedDocument& d) {
    auto warn = [&](long line, const std::string& what) {
        std::fprintf(stderr, "%s%s: warning: %s\n", file.c_str(), line > 0 ? (":" + std::to_string(line)).c_str() : "",
                     what.c_str());
    };
    if (!partner.inbound_types.empty() && !listed(partner.inbound_types, d.document_type))
        warn(0, "document type '" + d.document_type + "' is not in the adapter's describe() \"inbound\" list");
    for (const auto& r : d.records) {
        if (r.record_id.empty()) warn(r.line, "a record has an empty record_id (the hub's idempotency key)");
        if (r.accepted && r.events.empty()) warn(r.line, "record '" + r.record_id + "' is accepted but has no events");
        for (const auto& e : r.events) {
            if (!sdk::dates::parse_iso_date(e.event_date))
                warn(e.source.line, "event '" + e.type + "' has event_date '" + e.event_date + "', not YYYY-MM-DD");
            if (e.source.partner != partner.code)
                warn(e.source.line, "event '" + e.type + "' has source.partner '" + e.source.partner +
                                        "', not the partner code '" + partner.code + "' the host passed in");
        }
    }
}

int decode_sample(const std::string& file, const partners::Partner& partner) {
    auto bytes = read_file(file);
    if (!bytes) {
        print_error(file + ": cannot read sample document");
        return kLoadProblem;
    }
    auto result = partner.adapter->decode(*bytes);
    if (auto* failure = std::get_if<plugin_host::AdapterFailure>(&result)) {
        print_problems(file, failure->problems);
        if (!failure->rejected) {
            std::fprintf(stderr, "%s: the adapter failed (internal error, not the document's fault)\n", file.c_str());
            return kLoadProblem;
        }
        std::fprintf(stderr, "%s: REJECTED\n", file.c_str());
        return kRejected;
    }
    const auto& decoded = std::get<sdk::DecodedDocument>(result);
    std::fputs((sdk::Json(decoded).dump(2) + "\n").c_str(), stdout);
    std::fflush(stdout);
    size_t events = 0, rejected = 0;
    for (const auto& r : decoded.records) {
        events += r.events.size();
        if (!r.accepted) {
            ++rejected;
            std::vector<Problem> problems = r.problems;
            if (problems.empty()) problems.push_back({r.line, "", "record '" + r.record_id + "' rejected without a reason"});
            print_problems(file, problems);
        }
    }
    lint(file, partner, decoded);
    std::fprintf(stderr, "%s: %s: %s, %zu record(s), %zu event(s)%s\n", file.c_str(), rejected ? "REJECTED" : "OK",
                 decoded.document_type.c_str(), decoded.records.size(), events,
                 rejected ? (", " + std::to_string(rejected) + " record(s) rejected").c_str() : "");
    return rejected ? kRejected : kOk;
}

int encode_message(const std::string& file, const partners::Partner& partner) {
    auto bytes = read_file(file);
    if (!bytes) {
        print_error(file + ": cannot read outbound message");
        return kLoadProblem;
    }
    sdk::OutboundMessage message;
    try {
        message = sdk::Json::parse(*bytes).get<sdk::OutboundMessage>();
    } catch (const std::exception& e) {
        print_error(file + ": not a canonical outbound message {type, message_id, created_at, fields}: " + e.what());
        return kRejected;
    }
    if (!partner.outbound_types.empty() && !listed(partner.outbound_types, message.type))
        std::fprintf(stderr, "%s: warning: type '%s' is not in the adapter's describe() \"outbound\" list\n",
                     file.c_str(), message.type.c_str());
    auto result = partner.adapter->encode(message);
    if (auto* failure = std::get_if<plugin_host::AdapterFailure>(&result)) {
        // Lines in an encode report are lines of the native document the
        // adapter generated (its outbound schema check), not of the JSON file.
        for (const auto& p : failure->problems)
            std::fprintf(stderr, "%s: %s%s%s%s\n", file.c_str(), p.field.c_str(), p.field.empty() ? "" : ": ",
                         p.message.c_str(),
                         p.line > 0 ? (" (line " + std::to_string(p.line) + " of the generated document)").c_str() : "");
        if (!failure->rejected) {
            std::fprintf(stderr, "%s: the adapter failed (internal error, not the message's fault)\n", file.c_str());
            return kLoadProblem;
        }
        std::fprintf(stderr, "%s: REJECTED\n", file.c_str());
        return kRejected;
    }
    const auto& xml = std::get<std::string>(result);
    std::fputs(xml.c_str(), stdout);
    if (xml.empty() || xml.back() != '\n') std::fputc('\n', stdout);
    std::fflush(stdout);
    std::fprintf(stderr, "%s: OK: %s encoded, %zu bytes\n", file.c_str(), message.type.c_str(), xml.size());
    return kOk;
}

}  // namespace

int run_adapter_test(const std::vector<std::string>& args) {
    std::string usage_error;
    auto parsed = parse(args, usage_error);
    if (!parsed) {
        if (usage_error.empty()) return usage(stdout), kOk;
        std::fprintf(stderr, "ketenhub adapter test: %s\n", usage_error.c_str());
        usage(stderr);
        return kUsage;
    }
    const Options& o = *parsed;
    daemon::harden_libxml2();

    // The partner: from the partner file, or a bare one named after the adapter.
    config::PartnerConfig pc;
    std::string where = "/partner/adapter";
    if (!o.partner_config.empty()) {
        auto loaded = config::load_partner(o.partner_config);
        if (!loaded) {
            print_error(loaded.error().message);
            return kLoadProblem;
        }
        pc = std::move(*loaded);
        where = "/partner[@code='" + pc.code + "']/adapter";
    }

    std::vector<std::string> problems;
    std::string plugin = pc.plugin_path;
    std::error_code ec;
    if (!o.plugin.empty()) {
        plugin = fs::absolute(o.plugin, ec).lexically_normal().string();  // never a dlopen search
        if (!fs::is_regular_file(plugin, ec)) problems.push_back(o.plugin + ": plugin file does not exist");
    } else if (!fs::is_regular_file(plugin, ec)) {
        problems.push_back(config::format_problems(
            o.partner_config, {{pc.adapter_line, where + "/@plugin", "plugin " + plugin + " does not exist"}}));
    }

    std::string reference_dir = o.reference_dir.empty() ? default_reference_dir() : o.reference_dir;
    if (reference_dir.empty())
        problems.push_back("no reference directory found (looked next to the binary and in " KETENHUB_REFERENCE_DIR
                           "); pass --reference-dir DIR");
    else if (!fs::is_directory(reference_dir, ec))
        problems.push_back(reference_dir + ": reference directory does not exist");
    else if (!fs::exists(fs::path(reference_dir) / "country-names.txt", ec))
        problems.push_back(reference_dir + ": has no country-names.txt (the partners' country crosswalk)");
    else
        reference_dir = fs::absolute(reference_dir, ec).lexically_normal().string();

    std::string iso3166 = o.iso3166.empty() ? KETENHUB_DEFAULT_ISO3166_JSON : o.iso3166;
    if (!fs::is_regular_file(iso3166, ec))
        problems.push_back(iso3166 + ": ISO 3166-1 data does not exist (install Debian package iso-codes, or pass --iso3166)");
    else
        iso3166 = fs::absolute(iso3166, ec).lexically_normal().string();

    if (!problems.empty()) {
        for (const auto& p : problems) print_error(p);
        return kLoadProblem;
    }

    // The daemon's path: PluginLibrary::load, then make_partner (create,
    // describe, settings check) as PartnerRegistry::build does.
    auto library = plugin_host::PluginLibrary::load(plugin);
    if (!library) {
        if (o.plugin.empty())
            print_problems(o.partner_config, {{pc.adapter_line, where + "/@plugin", library.error().message}});
        else
            print_error(library.error().message);
        return kLoadProblem;
    }
    if (o.partner_config.empty()) pc.code = (*library)->name();
    std::vector<Problem> setting_problems;
    auto partner = partners::make_partner(pc, *library, reference_dir, iso3166, where, setting_problems);
    if (!setting_problems.empty() || !partner) {
        if (o.partner_config.empty()) {
            for (const auto& p : setting_problems) print_error(plugin + ": " + p.message);
        } else {
            print_problems(o.partner_config, setting_problems);
        }
        return kLoadProblem;
    }
    std::fprintf(stderr, "%s: adapter %s %s (ABI %u.%u) for partner '%s'; inbound: %zu type(s), outbound: %zu type(s)\n",
                 plugin.c_str(), (*library)->name().c_str(), (*library)->version().c_str(), (*library)->abi_major(),
                 (*library)->abi_minor(), partner->code.c_str(), partner->inbound_types.size(),
                 partner->outbound_types.size());
    std::fprintf(stderr, "reference data: %s; ISO 3166-1: %s\n", reference_dir.c_str(), iso3166.c_str());

    int status = kOk;
    for (const auto& in : o.inputs) {
        int s = in.kind == Input::Sample ? decode_sample(in.path, *partner) : encode_message(in.path, *partner);
        status = std::max(status, s);
    }
    return status;
}

}  // namespace ketenhub::cli
