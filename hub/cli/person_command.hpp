// `ketenhub person ...`: operators' view of identity resolution.
//   person show KEY        one person's timeline across every partner
//                          (KEY: V-nummer, hub id KH-000042, or scheme:value
//                          such as vwn:VWN-UT-004512)
//   person conflicts       open identity issues: candidates and conflicts
//   person confirm ID      merge a candidate
//   person reject ID       close an issue without merging
#pragma once

#include <string>
#include <vector>

namespace ketenhub::cli {

int run_person(const std::vector<std::string>& args, const std::string& config_path);

}  // namespace ketenhub::cli
