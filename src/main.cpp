// neptune-watchdog as started: runs the offline commands itself and hands everything else to
// the online program (nw/io/online_program.h explains why there are two).
#include <exception>
#include <iostream>
#include "nw/app/offline_commands.h"
#include "nw/app/watchdog_app.h"
#include "nw/io/online_program.h"

int main(int argc, char** argv) {
  try {
    const nw::CliParse cli = nw::parse_cli({argv + 1, argv + argc});
    if (const auto code = nw::run_offline_command(cli, std::cout, std::cerr)) return *code;
  } catch (const std::exception& e) {
    std::cerr << "neptune-watchdog: fatal: " << e.what() << "\n";
    return nw::kExitFailure;
  }
  std::cout.flush();
  return nw::exec_online_program(argv, std::cerr);
}
