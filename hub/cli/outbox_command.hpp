// `ketenhub outbox ...`: operators' view of the outbound path.
//   outbox list [--partner P] [--status S] [--limit N]
//                         messages, newest first (S: pending, waiting,
//                         delivered, confirmed, dead)
//   outbox show ID [--body]  one message, every delivery attempt, its document
//   outbox requeue ID     send a dead letter again (after the cause is fixed)
//   outbox notes          referrals for manual follow-up and withheld messages
//   outbox referrals KEY  the referrals the hub made for a person (KEY as in `person show`)
#pragma once

#include <string>
#include <vector>

namespace ketenhub::cli {

int run_outbox(const std::vector<std::string>& args, const std::string& config_path);

}  // namespace ketenhub::cli
