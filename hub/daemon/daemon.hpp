// `ketenhub serve`: wires config, partners, store and listener together and
// handles the process signals (SIGTERM/SIGINT drain and exit, SIGHUP reload).
#pragma once

#include <string>

namespace ketenhub::daemon {

// Returns the process exit code.
int serve(const std::string& config_path);

// `ketenhub config check`: loads config, TLS material and plugins exactly as
// serve would. Prints every problem as file:line: field: message.
int check_config(const std::string& config_path);

// Process-wide libxml2 set-up: no external entity is ever loaded, whatever a
// document or a plugin asks for.
void harden_libxml2();

}  // namespace ketenhub::daemon
