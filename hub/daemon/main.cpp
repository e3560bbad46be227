// ketenhub: the integration hub of the return chain.
//   ketenhub serve --config FILE
//   ketenhub config check --config FILE
//   ketenhub version
#include "cli/adapter_test_command.hpp"  // adapter SDK: `ketenhub adapter test`
#include "cli/outbox_command.hpp"
#include "cli/person_command.hpp"
#include "cli/report_command.hpp"
#include "daemon/daemon.hpp"

#include <ketenhub/plugin_abi.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

// Read by jemalloc (hub/CMakeLists.txt links it when installed; glibc's malloc
// ignores it): a background thread gives pages freed after a burst back to
// the system (its 10 s decay) instead of the allocating threads doing it
// inline, or not at all while the hub idles. 1,000 connections opened in one
// burst: 141-147 MB RSS held for good, 116-119 MB 12 s later with it (bench/).
extern "C" const char* malloc_conf;
const char* malloc_conf = "background_thread:true";

namespace {

void usage(FILE* out) {
    std::fprintf(out,
                 "usage:\n"
                 "  ketenhub serve --config FILE          run the hub in the foreground\n"
                 "  ketenhub config check --config FILE   validate config, certificates and plugins\n"
                 "  ketenhub person show KEY --config FILE [--reveal]\n"
                 "                                        one person's timeline (KEY: V-nummer, KH-id, scheme:value)\n"
                 "  ketenhub person conflicts --config FILE\n"
                 "  ketenhub person confirm|reject ID --config FILE\n"
                 "  ketenhub report funnel --from DATE --to DATE [--format csv|json|xml]\n"
                 "                  [--by organisation|country|funding|target-group] [--explain KEY] --config FILE\n"
                 "  ketenhub report anomalies --config FILE\n"
                 "  ketenhub report helpdesk --from DATE --to DATE --config FILE\n"
                 "  ketenhub report four-weekly --period DATE --config FILE\n"
                 "                                        the DT&V report for the period containing DATE, as it stands\n"
                 "  ketenhub outbox list [--partner P] [--status S] [--limit N] --config FILE\n"
                 "                                        messages to partners and how their delivery went\n"
                 "  ketenhub outbox show ID [--body] | requeue ID | notes | referrals KEY --config FILE\n"
                 // adapter SDK (docs/adapters.md)
                 "  ketenhub adapter test --plugin FILE.so --partner-config FILE --sample DOC.xml ...\n"
                 "                        [--encode MESSAGE.json] [--reference-dir DIR] [--iso3166 FILE]\n"
                 "                                        try an adapter plugin as the daemon would load it\n"
                 "  ketenhub version\n");
}

// Finds "--name VALUE" or "--name=VALUE".
std::string option(const std::vector<std::string>& args, const std::string& name) {
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == name && i + 1 < args.size()) return args[i + 1];
        if (args[i].rfind(name + "=", 0) == 0) return args[i].substr(name.size() + 1);
    }
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        usage(args.empty() ? stderr : stdout);
        return args.empty() ? 64 : 0;
    }
    if (args[0] == "version") {
        std::printf("ketenhub %s (adapter ABI %d.%d)\n", KETENHUB_VERSION, KH_ABI_MAJOR, KH_ABI_MINOR);
        return 0;
    }
    // adapter SDK (docs/adapters.md): takes no --config.
    if (args[0] == "adapter") return ketenhub::cli::run_adapter_test(args);

    const std::string config = option(args, "--config");
    if (args[0] == "serve") {
        if (config.empty()) return usage(stderr), 64;
        return ketenhub::daemon::serve(config);
    }
    if (args[0] == "config" && args.size() > 1 && args[1] == "check") {
        if (config.empty()) return usage(stderr), 64;
        return ketenhub::daemon::check_config(config);
    }
    if (args[0] == "report") {
        if (config.empty()) return usage(stderr), 64;
        return ketenhub::cli::run_report(args, config);
    }
    if (args[0] == "outbox") {
        if (config.empty()) return usage(stderr), 64;
        return ketenhub::cli::run_outbox(args, config);
    }
    if (args[0] == "person") {
        if (config.empty()) return usage(stderr), 64;
        return ketenhub::cli::run_person(args, config);
    }
    std::fprintf(stderr, "ketenhub: unknown command '%s'\n", args[0].c_str());
    usage(stderr);
    return 64;
}
