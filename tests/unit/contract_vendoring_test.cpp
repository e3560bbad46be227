// The partners' contract is vendored so the project builds and tests on a
// machine without ../shared/partners. Where that folder exists, every
// vendored file must still match it byte for byte (tests/contract/vendored.txt).
#include "adapter_harness.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace ketenhub::testing;
namespace fs = std::filesystem;

namespace {

std::vector<std::pair<std::string, std::string>> mapping() {
    std::vector<std::pair<std::string, std::string>> out;
    std::ifstream in(source_dir() + "/tests/contract/vendored.txt");
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        auto tab = line.find('\t');
        out.emplace_back(line.substr(0, tab), line.substr(tab + 1));
    }
    return out;
}

std::vector<fs::path> relative_files(const fs::path& root) {
    std::vector<fs::path> out;
    if (fs::is_regular_file(root)) return {fs::path()};
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root));
    std::sort(out.begin(), out.end());
    return out;
}

TEST(ContractVendoring, EveryVendoredFileMatchesThePartnersPublishedCopy) {
    const fs::path shared = fs::path(source_dir()).parent_path() / "shared/partners";
    if (!fs::exists(shared)) GTEST_SKIP() << shared << " does not exist on this machine";
    auto entries = mapping();
    ASSERT_EQ(entries.size(), 7u);
    for (const auto& [vendored, published] : entries) {
        SCOPED_TRACE(vendored);
        const fs::path mine = fs::path(source_dir()) / vendored;
        const fs::path theirs = shared / published;
        ASSERT_TRUE(fs::exists(mine));
        auto a = relative_files(mine), b = relative_files(theirs);
        EXPECT_EQ(a, b) << "the set of files differs";
        for (const auto& rel : b) {
            if (!fs::exists(mine / rel)) continue;
            EXPECT_EQ(read_file(mine / rel), read_file(theirs / rel)) << (mine / rel) << " differs from " << (theirs / rel);
        }
    }
}

TEST(ContractVendoring, TheVendoredContractIsComplete) {
    for (const char* partner : {"coa", "vwn", "iom", "mbt", "dtv"}) {
        const fs::path c = fs::path(source_dir()) / "adapters" / partner / "contract";
        EXPECT_TRUE(fs::exists(c / "inbound.xsd")) << partner;
        EXPECT_TRUE(fs::exists(c / "outbound.xsd")) << partner;
        EXPECT_FALSE(files_in(c / "samples/valid", ".xml").empty()) << partner;
        EXPECT_FALSE(files_in(c / "samples/invalid", ".xml").empty()) << partner;
    }
    EXPECT_TRUE(fs::exists(fs::path(source_dir()) / "config/reference/country-names.txt"));
}

}  // namespace
