// `ketenhub report ...`: the programme's figures from the stored events.
//   report funnel --from DATE --to DATE [--format csv|json|xml]
//                 [--by organisation|country|funding|target-group] [--explain KEY]
//   report anomalies
//   report helpdesk --from DATE --to DATE
// Definitions: docs/statistics.md.
#pragma once

#include <string>
#include <vector>

namespace ketenhub::cli {

int run_report(const std::vector<std::string>& args, const std::string& config_path);

}  // namespace ketenhub::cli
