// Loads a built adapter plugin through the hub's plugin host (the path every
// adapter takes in production) and compares decode results with reviewed
// golden files.
#pragma once

#include "plugin_host/adapter_plugin.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ketenhub::testing {

std::string source_dir();  // the repository root
std::string build_dir();   // the CMake build directory
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content);

// Sorted list of files in dir with the given extension (".xml").
std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir, const std::string& extension);

// Loads <build>/adapters/ketenhub_adapter_<partner>.so and creates an instance
// with the vendored reference lists (config/reference) and Debian's iso-codes.
std::shared_ptr<plugin_host::AdapterInstance> load_adapter(const std::string& partner,
                                                           const sdk::Json& settings = sdk::Json::object());

// Compares actual with the golden JSON file. With KETENHUB_UPDATE_GOLDEN=1 in
// the environment it (re)writes the file instead; review the diff before
// committing. Returns an empty string when equal, else a readable diff.
std::string compare_golden(const std::filesystem::path& golden, const sdk::Json& actual);

// Decodes every inbound sample in `valid_dir` (those `is_outbound` does not
// claim), expects every record accepted and the canonical form to equal
// <golden_dir>/<sample>.json, and runs `also` on each decoded document for
// adapter-specific checks. Returns how many samples were checked.
int expect_golden_samples(const plugin_host::AdapterInstance& adapter, const std::filesystem::path& valid_dir,
                          const std::filesystem::path& golden_dir,
                          const std::function<bool(const std::filesystem::path&)>& is_outbound,
                          const std::function<void(const sdk::DecodedDocument&)>& also = {});

// The adapter's refusal of a document; a test failure when it was accepted.
plugin_host::AdapterFailure decode_failure(const plugin_host::AdapterInstance& adapter, const std::string& document);

// The decoded document or a test failure message.
sdk::DecodedDocument decode_ok(const plugin_host::AdapterInstance& adapter, const std::string& document);

}  // namespace ketenhub::testing
