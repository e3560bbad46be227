// `ketenhub adapter test`: tries an adapter plugin on sample documents the way
// the daemon would run it, for the people who write adapters.
//
//   ketenhub adapter test --plugin FILE.so --partner-config PARTNER.xml
//                         --sample DOC.xml [--sample DOC2.xml ...]
//                         [--encode MESSAGE.json ...]
//                         [--reference-dir DIR] [--iso3166 FILE]
//
// The plugin is loaded through the daemon's plugin host
// (plugin_host::PluginLibrary::load, AdapterInstance::create, describe) and
// the partner file's settings are checked against describe() exactly as
// partners::PartnerRegistry does (partners::make_partner). The partner file
// is a <partner> element of the hub config (config/ketenhub.xsd) as a
// document root; --plugin overrides its adapter/@plugin.
//
// stdout: for each --sample, the canonical decode result as pretty JSON (the
// golden-file format); for each --encode, the native XML. stderr: a summary
// line per input and every problem as "FILE:LINE: FIELD: message".
//
// Exit: 0 every input decoded/encoded; 1 an input was rejected (or a batch
// record was); 2 the plugin, the partner file, the reference data or an input
// file could not be loaded, or the adapter failed internally; 64 wrong usage.
#pragma once

#include <string>
#include <vector>

namespace ketenhub::cli {

// `args` is the command line after the program name; a leading "adapter"
// "test" is skipped.
int run_adapter_test(const std::vector<std::string>& args);

}  // namespace ketenhub::cli
